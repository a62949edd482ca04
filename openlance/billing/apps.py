from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openlance.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from openlance.billing import handlers  # noqa: F401  (registers outbox handlers)
        from openlance.billing.models import PaymentKind
        from openlance.billing.payments import PAYMENT_REFUND_HOLD, PAYMENT_REFUND_HOLD_RELEASE
        from openlance.ledger.services import reversal_refuse

        # A payment's relationship totals and fee record move with its money, which only
        # payment_refund keeps in step.
        reversal_refuse(PaymentKind.values, undone_by="payment_refund")
        # A disputed refund's hold carries the request's and the earning's state with it:
        # only the dispute's decision ends it.
        reversal_refuse(
            [PAYMENT_REFUND_HOLD, PAYMENT_REFUND_HOLD_RELEASE],
            undone_by="refund_request_dispute_settle",
        )

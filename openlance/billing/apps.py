from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openlance.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from openlance.billing import handlers  # noqa: F401  (registers outbox handlers)
        from openlance.billing.models import PaymentKind
        from openlance.ledger.services import reversal_refuse

        # A payment's relationship totals and fee record move with its money, which only
        # payment_refund keeps in step.
        reversal_refuse(PaymentKind.values, undone_by="payment_refund")

from functools import partial
from typing import Any

from django.core.management.base import BaseCommand

from openlance.accounts.models import User
from openlance.billing.models import Relationship
from openlance.billing.services import CARD_DEPOSIT
from openlance.contracts.handlers import earnings_of, spending_of
from openlance.ledger.models import AccountKind, Entry
from openlance.profiles.services import (
    client_payment_method_verify,
    client_spending_record,
    freelancer_earnings_record,
)


class Command(BaseCommand):
    help = (
        "Recount from the relationships and the ledger every freelancer's earnings (total "
        "earned, jobs, last earning) and every client's total spent and verified payment "
        "method — the figures "
        "payments keep up to date as they happen — after an upgrade or a repair. Safe to "
        "repeat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        freelancers = User.objects.filter(pk__in=Relationship.objects.values("freelancer_id"))
        clients = User.objects.filter(pk__in=Relationship.objects.values("client_id"))
        for freelancer in freelancers.order_by("pk"):
            freelancer_earnings_record(user=freelancer, count=partial(earnings_of, freelancer))
        for client in clients.order_by("pk"):
            client_spending_record(user=client, count=partial(spending_of, client))
        charged = User.objects.filter(
            pk__in=Entry.objects.filter(
                transfer__kind=CARD_DEPOSIT,
                account__kind=AccountKind.CLIENT_FUNDING,
                amount_cents__gt=0,
            ).values("account__owner_id")
        )
        for client in charged.order_by("pk"):
            client_payment_method_verify(user=client)
        self.stdout.write(
            f"{freelancers.count()} freelancer(s) and {clients.count()} client(s) recounted, "
            f"{charged.count()} client payment method(s) verified."
        )

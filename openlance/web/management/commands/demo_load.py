"""`manage.py demo_load`: a small, believable marketplace to click through.

Idempotent: every row is found by a natural key (an email address, a group name, a fixed
idempotency key for money), so running it again creates and books nothing new. Names come
from Faker seeded per person, so the same demo account always has the same name.

The data is built by SECTIONS, run in order under one progress bar. To add demo data for
a new feature (profiles, jobs...), write a generator `_section_x(ctx)` that yields once per
unit of work, and append a `Section` to SECTIONS with how many units it has.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from faker import Faker
from tqdm import tqdm

from openlance.accounts.models import User
from openlance.accounts.services import user_set_roles
from openlance.billing.services import funds_deposit
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Entry, LedgerAccount, Transfer

DEMO_PASSWORD = "openlance-demo"
DEMO_DOMAIN = "openlance.local"
OPERATOR_EMAIL = f"admin@{DEMO_DOMAIN}"
FREELANCER_COUNT = 20
CLIENT_COUNT = 8

# Staff group (created by migration accounts.0002) -> the demo staff member's mailbox.
STAFF_MEMBERS = {
    "Support": "support",
    "Mediator": "mediator",
    "Verifier": "verifier",
    "Finance": "finance",
    "Policy admin": "policy-admin",
}

# A marketplace is international; each person's names come from one of these locales.
LOCALES = ["en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "it_IT", "pt_BR", "pl_PL", "nl_NL"]

# (client number, amount in cents): top-ups through the sandbox gateway with a test card.
DEPOSITS = [(1, 250_000), (2, 120_000), (3, 75_000), (4, 500_000), (1, 60_000)]
DEPOSIT_CARD = "pm_card_visa"


def freelancer_email(number: int) -> str:
    return f"freelancer{number:02d}@{DEMO_DOMAIN}"


def client_email(number: int) -> str:
    return f"client{number:02d}@{DEMO_DOMAIN}"


def staff_email(group: str) -> str:
    return f"{STAFF_MEMBERS[group]}@{DEMO_DOMAIN}"


@dataclass
class DemoContext:
    password: str
    _password_hash: str = ""
    created: dict[str, int] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        self.created.setdefault(what, 0)
        if created:
            self.created[what] += 1

    @property
    def password_hash(self) -> str:
        # Hashed once and shared: Argon2 is slow on purpose, and these are demo accounts.
        if not self._password_hash:
            self._password_hash = make_password(self.password)
        return self._password_hash

    def person(self, key: str, number: int) -> Faker:
        """A Faker for one demo person: same seed, same name, on every run."""
        fake = Faker(LOCALES[number % len(LOCALES)])
        fake.seed_instance(f"openlance-demo:{key}:{number}")
        return fake


@dataclass(frozen=True)
class Section:
    name: str
    steps: int
    run: Callable[[DemoContext], Iterator[None]]


def _user(
    ctx: DemoContext,
    *,
    email: str,
    first_name: str,
    last_name: str,
    what: str,
    **flags: Any,
) -> User:
    """The demo user with this email, created (with a verified address) if missing.
    An existing user is left as it is: a demo account someone edited keeps their edits."""
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        created = user is None
        if user is None:
            user = User.objects.create(
                email=email,
                password=ctx.password_hash,
                first_name=first_name,
                last_name=last_name,
                **flags,
            )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    ctx.count(what, created)
    ctx.users[email] = user
    return user


def _section_operator(ctx: DemoContext) -> Iterator[None]:
    _user(
        ctx,
        email=OPERATOR_EMAIL,
        first_name="Olivia",
        last_name="Operator",
        what="operators",
        is_staff=True,
        is_superuser=True,
    )
    yield


def _section_staff(ctx: DemoContext) -> Iterator[None]:
    for group_name in STAFF_MEMBERS:
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            raise CommandError(f"Staff group {group_name!r} is missing; run migrate first.")
        fake = ctx.person("staff", list(STAFF_MEMBERS).index(group_name))
        user = _user(
            ctx,
            email=staff_email(group_name),
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            what="staff",
            is_staff=True,
        )
        user.groups.add(group)
        yield


def _section_freelancers(ctx: DemoContext) -> Iterator[None]:
    for number in range(1, FREELANCER_COUNT + 1):
        fake = ctx.person("freelancer", number)
        user = _user(
            ctx,
            email=freelancer_email(number),
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            what="freelancers",
        )
        if not user.roles:
            user_set_roles(user=user, freelancer=True, client=False)
        yield


def _section_clients(ctx: DemoContext) -> Iterator[None]:
    for number in range(1, CLIENT_COUNT + 1):
        fake = ctx.person("client", number)
        user = _user(
            ctx,
            email=client_email(number),
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            what="clients",
        )
        if not user.roles:
            user_set_roles(user=user, freelancer=False, client=True)
        yield


def _section_deposits(ctx: DemoContext) -> Iterator[None]:
    for index, (number, cents) in enumerate(DEPOSITS, start=1):
        user = User.objects.get(email=client_email(number))
        before = Transfer.objects.count()
        funds_deposit(
            user=user,
            amount=Money(cents),
            payment_method=DEPOSIT_CARD,
            key=f"demo-deposit-{index}",
        )
        ctx.count("deposits", Transfer.objects.count() > before)
        yield


SECTIONS: list[Section] = [
    Section("operator", 1, _section_operator),
    Section("staff", len(STAFF_MEMBERS), _section_staff),
    Section("freelancers", FREELANCER_COUNT, _section_freelancers),
    Section("clients", CLIENT_COUNT, _section_clients),
    Section("deposits", len(DEPOSITS), _section_deposits),
]


class Command(BaseCommand):
    help = (
        "Load demo accounts and money (idempotent: a second run adds nothing). "
        f"Every demo account's password is {DEMO_PASSWORD!r} unless --password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password for demo accounts created by this run (existing ones keep theirs).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = DemoContext(password=options["password"])
        quiet = options["verbosity"] == 0
        with tqdm(
            total=sum(section.steps for section in SECTIONS),
            desc="Demo data",
            unit="step",
            file=sys.stderr,
            disable=quiet or options["no_progress"],
            dynamic_ncols=True,
        ) as bar:
            for section in SECTIONS:
                bar.set_postfix_str(section.name)
                for _ in section.run(ctx):
                    bar.update(1)

        problems = ledger_violations()
        if problems:
            raise CommandError("Ledger invariants broken after demo load: " + "; ".join(problems))
        if quiet:
            return
        created = ", ".join(f"{n} {what}" for what, n in ctx.created.items()) or "nothing"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready (new this run: {created}). "
                f"{User.objects.count()} users, {LedgerAccount.objects.count()} ledger accounts, "
                f"{Transfer.objects.count()} transfers, {Entry.objects.count()} entries; "
                "ledger sound."
            )
        )
        if ctx.created.get("operators"):
            self.stdout.write(
                f"Sign in as {OPERATOR_EMAIL} / {ctx.password} (operator console: /admin/). "
                "Demo passwords are public: never load demo data on a real deployment."
            )

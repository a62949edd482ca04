"""Card charges are recorded before the gateway is called and settled later: a charge whose
process died after the gateway took the money is booked once (by the next payment for the
same thing, or by the reconcile rule), never lost and never charged twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import import_module
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils.module_loading import import_string

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing import gateway as gw
from openlance.billing.checks import payment_violations
from openlance.billing.claims import CLAIM_TIMEOUT
from openlance.billing.connects import (
    connects_bundle_buy,
    connects_plans_run_due,
    connects_plus_subscribe,
)
from openlance.billing.models import (
    CardCharge,
    CardChargePurpose,
    CardChargeState,
    ChargeClaim,
    SandboxOperation,
)
from openlance.billing.services import (
    CARD_CHARGE_REPLAY_WINDOW,
    CardChargeConflict,
    CardChargeUnsettled,
    _card_charge_book,
    _card_charge_decline,
    card_charge,
    card_charge_bookers,
    card_charge_resolve,
    card_charges_reconcile_run_due,
    card_charges_settle,
    funds_deposit,
    spend_on_booking,
)
from openlance.billing.tasks import card_charges_reconcile_periodic
from openlance.connects.models import ConnectsAccount, ConnectsMove, Plan
from openlance.connects.selectors import connects_balance
from openlance.connects.services import connects_plus_cancel
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
LAPSED = NOW + CLAIM_TIMEOUT + timedelta(minutes=1)

# Milestone funding is `contracts`' business, a layer above billing: reached by name, so the
# layer contract (import-linter) still holds for what billing imports.
contract_fixed = import_string("openlance.contracts.tests.factories.contract_fixed")
funding = import_module("openlance.contracts.milestones.funding")
milestone_fund = funding.milestone_fund
milestone_funding_quote = import_string(
    "openlance.contracts.milestones.funding.milestone_funding_quote"
)


class ProcessDied(Exception):
    """The process stops right after the gateway answered: nothing after it runs."""


@pytest.fixture
def dies_after_charging(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sandbox charges the card, then the process 'dies' before the answer is used, for
    the first call of each card listed in the yielded list."""
    real = gw.SandboxGateway.charge
    cards: list[str] = []

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        result = real(self, **kwargs)
        if kwargs["payment_method"] in cards:
            cards.remove(kwargs["payment_method"])
            raise ProcessDied(kwargs["idempotency_key"])
        return result

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    return cards


@pytest.fixture
def gateway_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the sandbox was asked to charge, in order."""
    real = gw.SandboxGateway.charge
    calls: list[str] = []

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        calls.append(kwargs["idempotency_key"])
        return real(self, **kwargs)

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    return calls


def _charges() -> list[SandboxOperation]:
    return list(
        SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.CHARGE, status=SandboxOperation.Status.SUCCEEDED
        ).order_by("id")
    )


def _funding(user: Any) -> int:
    return account_for(kind=AccountKind.CLIENT_FUNDING, owner=user).balance_cents


def _deposit(user: Any, *, key: str = "d1", cents: int = 10_000, card: str = "pm_card_visa") -> Any:
    return funds_deposit(user=user, amount=Money(cents), payment_method=card, key=key)


# --- recorded before the call, settled once ------------------------------------------------


def test_the_charge_is_recorded_and_committed_before_the_gateway_is_called(monkeypatch):
    client = client_user()
    real = gw.SandboxGateway.charge
    seen: list[tuple[str, int]] = []
    depth = len(connection.atomic_blocks)

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        record = CardCharge.objects.get(key=kwargs["idempotency_key"])
        seen.append((record.state, len(connection.atomic_blocks) - depth))
        return real(self, **kwargs)

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    with clock.frozen_at(NOW):
        _deposit(client)
    assert seen == [(CardChargeState.SENT, 0)]
    record = CardCharge.objects.get()
    assert record.state == CardChargeState.BOOKED
    assert record.purpose == CardChargePurpose.DEPOSIT
    assert record.transfer == Transfer.objects.get(kind="deposit")
    assert record.gateway_reference == _charges()[0].reference
    assert record.settled_at == NOW


def test_every_purpose_has_a_booker():
    bookers = {purpose: card_charge_bookers()[purpose] for purpose in CardChargePurpose}
    assert all(callable(booker) for booker in bookers.values())


def test_a_card_charge_inside_a_transaction_is_refused_before_the_gateway():
    client = client_user()
    with pytest.raises(RuntimeError), transaction.atomic(), clock.frozen_at(NOW):
        _deposit(client)
    assert not CardCharge.objects.exists()
    assert not SandboxOperation.objects.exists()


def test_a_process_that_dies_after_the_charge_leaves_it_sent_and_settling_books_it_once(
    dies_after_charging,
):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    record = CardCharge.objects.get()
    assert record.state == CardChargeState.SENT
    assert not record.transfer_id
    assert len(_charges()) == 1
    assert not Transfer.objects.exists()

    with clock.frozen_at(NOW + timedelta(minutes=1)):
        [settled] = card_charges_settle(subject=record.subject)
        assert card_charges_settle(subject=record.subject) == []
    assert settled.state == CardChargeState.BOOKED
    with clock.frozen_at(LAPSED):
        counts = card_charges_reconcile_run_due(now=LAPSED)
    assert counts == {"booked": 0, "declined": 0, "retry": 0, "stale": 0}
    assert len(_charges()) == 1
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert _funding(client) == 10_000


def test_a_deposit_whose_request_died_is_healed_by_the_reconcile_rule_once(dies_after_charging):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    # Not before the charge's claim would have lapsed: its request may still be running.
    with clock.frozen_at(NOW + timedelta(minutes=2)):
        assert card_charges_reconcile_run_due(now=clock.now())["booked"] == 0
    assert CardCharge.objects.get().state == CardChargeState.SENT
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 1
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 0
        card_charges_reconcile_periodic()
    assert CardCharge.objects.get().state == CardChargeState.BOOKED
    assert _funding(client) == 10_000
    assert len(_charges()) == 1
    # The client's retry with the same key answers with the booked deposit.
    with clock.frozen_at(LAPSED):
        again = _deposit(client)
    assert again == Transfer.objects.get(kind="deposit")
    assert _funding(client) == 10_000
    assert len(_charges()) == 1


def test_a_deposit_recorded_with_a_request_digest_by_older_code_is_retried_after_migrating(
    dies_after_charging,
):
    """Before billing 0008 deposits and bundles kept their request's digest too; the
    migration forgets those, so the client's same-key retry is the same charge again."""
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    CardCharge.objects.update(request_key="digest-the-older-code-stored")
    migration = import_module("openlance.billing.migrations.0008_card_charge_request_key_plus_only")
    migration.forget_request_keys(django_apps, None)
    assert CardCharge.objects.get().request_key == ""
    with clock.frozen_at(NOW + timedelta(minutes=1)):
        again = _deposit(client)
    assert again == Transfer.objects.get(kind="deposit")
    assert _funding(client) == 10_000
    assert len(_charges()) == 1


def test_a_charge_that_never_reached_the_gateway_is_made_by_the_replay(monkeypatch):
    """The process died between the record and the call: the replay makes the charge the
    client asked for, once."""
    client = client_user()

    def unreachable(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        raise ProcessDied(kwargs["idempotency_key"])

    monkeypatch.setattr(gw.SandboxGateway, "charge", unreachable)
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    assert not SandboxOperation.objects.exists()
    monkeypatch.undo()
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 1
    assert [op.amount_cents for op in _charges()] == [10_000]
    assert _funding(client) == 10_000


def test_an_unavailable_gateway_leaves_the_charge_for_the_next_run(monkeypatch):
    client = client_user()

    def down(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        raise gw.PaymentGatewayUnavailable("down")

    monkeypatch.setattr(gw.SandboxGateway, "charge", down)
    with clock.frozen_at(NOW), pytest.raises(gw.PaymentGatewayUnavailable):
        _deposit(client)
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["retry"] == 1
    assert CardCharge.objects.get().state == CardChargeState.SENT
    monkeypatch.undo()
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 1
    assert _funding(client) == 10_000


# --- declined, refused, conflicting ---------------------------------------------------------


def test_a_declined_card_is_marked_declined_and_books_nothing():
    client = client_user()
    with clock.frozen_at(NOW), pytest.raises(PaymentDeclined, match="card_declined"):
        _deposit(client, card="pm_card_declined")
    record = CardCharge.objects.get()
    assert (record.state, record.decline_reason) == (CardChargeState.DECLINED, "card_declined")
    assert record.settled_at == NOW
    assert not Transfer.objects.exists()
    # The same key again is the same decline, without asking the gateway again.
    with clock.frozen_at(NOW), pytest.raises(PaymentDeclined):
        _deposit(client, card="pm_card_declined")
    assert SandboxOperation.objects.count() == 1
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["declined"] == 0
    assert not Transfer.objects.exists()


def test_a_gateway_refusal_marks_the_charge_declined_and_is_raised(monkeypatch):
    client = client_user()

    def refuses(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        raise InvalidInput("Stripe does not know this payment method.")

    monkeypatch.setattr(gw.SandboxGateway, "charge", refuses)
    with clock.frozen_at(NOW), pytest.raises(InvalidInput, match="does not know"):
        _deposit(client)
    record = CardCharge.objects.get()
    assert (record.state, record.decline_reason) == (CardChargeState.DECLINED, "invalid_input")
    assert not Transfer.objects.exists()


def test_a_key_reused_for_another_amount_is_refused_and_nothing_changes(gateway_calls):
    client = client_user()
    with clock.frozen_at(NOW):
        first = _deposit(client, key="same")
    before = list(CardCharge.objects.values())
    with clock.frozen_at(NOW), pytest.raises(InvalidInput, match="another amount"):
        _deposit(client, key="same", cents=20_000)
    with clock.frozen_at(NOW), pytest.raises(CardChargeConflict):
        card_charge(
            user=client,
            amount=Money(10_000),
            payment_method="pm_card_mastercard",
            key=CardCharge.objects.get().key,
            subject=f"deposit:{client.pk}",
            purpose=CardChargePurpose.DEPOSIT,
            description="another card",
            ledger_description="another card",
            request_key=CardCharge.objects.get().request_key,
        )
    assert list(CardCharge.objects.values()) == before
    assert len(gateway_calls) == 1
    assert list(Transfer.objects.all()) == [first]
    assert _funding(client) == 10_000


def test_a_charge_sent_longer_ago_than_the_replay_window_is_left_to_an_operator(
    dies_after_charging, gateway_calls
):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    late = NOW + CARD_CHARGE_REPLAY_WINDOW + timedelta(minutes=1)
    with clock.frozen_at(late):
        assert card_charges_reconcile_run_due(now=late) == {
            "booked": 0,
            "declined": 0,
            "retry": 0,
            "stale": 1,
        }
        # Stripe forgets a key after a day: asking again could be a new charge.
        with pytest.raises(CardChargeUnsettled):
            _deposit(client)
        # Nothing payable once is charged anew while that outcome is unknown.
        with pytest.raises(CardChargeUnsettled):
            card_charges_settle(subject=f"deposit:{client.pk}")
    assert len(gateway_calls) == 1
    record = CardCharge.objects.get()
    assert record.state == CardChargeState.SENT
    # The same boundary makes it a payment invariant violation, until an operator settles it.
    assert [problem.split(" (")[0] for problem in payment_violations(now=late)] == [
        f"card charge {record.key}"
    ]
    [made] = _charges()
    with clock.frozen_at(late):
        call_command("card_charges_reconcile", book=record.key, reference=made.reference)
    assert payment_violations(now=late) == []
    assert _funding(client) == 10_000


# --- ledger_check and the operator ----------------------------------------------------------


def test_ledger_check_reports_a_charge_left_sent_past_the_replay_window(dies_after_charging):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    key = CardCharge.objects.get().key
    with clock.frozen_at(NOW + CARD_CHARGE_REPLAY_WINDOW):
        call_command("ledger_check", stdout=StringIO(), stderr=StringIO())
    errors = StringIO()
    late = NOW + CARD_CHARGE_REPLAY_WINDOW + timedelta(minutes=1)
    with (
        clock.frozen_at(late),
        pytest.raises(CommandError, match="1 payment invariant violation"),
    ):
        call_command("ledger_check", stdout=StringIO(), stderr=errors)
    assert f"card charge {key}" in errors.getvalue()
    assert "never booked" in errors.getvalue()
    # The reconcile rule counts the same charges as stale.
    assert card_charges_reconcile_run_due(now=late)["stale"] == 1
    [made] = _charges()
    with clock.frozen_at(late):
        call_command("card_charges_reconcile", book=key, reference=made.reference)
        call_command("ledger_check", stdout=StringIO(), stderr=StringIO())


def test_an_operator_books_a_stale_charge_with_the_providers_reference(dies_after_charging):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    record = CardCharge.objects.get()
    [made] = _charges()
    later = NOW + timedelta(days=2)
    with clock.frozen_at(later):
        with pytest.raises(CommandError, match="needs the provider"):
            call_command("card_charges_reconcile", book=record.key)
        out = StringIO()
        call_command(
            "card_charges_reconcile", book=record.key, reference=made.reference, stdout=out
        )
        assert "is booked" in out.getvalue()
        with pytest.raises(CommandError, match="booked already"):
            call_command("card_charges_reconcile", not_charged=record.key)
        call_command("ledger_check", stdout=StringIO(), stderr=StringIO())
    record.refresh_from_db()
    assert record.state == CardChargeState.BOOKED
    assert record.transfer == Transfer.objects.get(idempotency_key=f"charge:{made.reference}")
    assert _funding(client) == 10_000


def test_an_operator_marks_a_stale_charge_the_provider_never_made_not_charged(monkeypatch):
    client = client_user()

    def unreachable(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        raise ProcessDied(kwargs["idempotency_key"])

    monkeypatch.setattr(gw.SandboxGateway, "charge", unreachable)
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    key = CardCharge.objects.get().key
    with clock.frozen_at(NOW + timedelta(days=2)):
        call_command("card_charges_reconcile", not_charged=key, stdout=StringIO())
        call_command("ledger_check", stdout=StringIO(), stderr=StringIO())
    record = CardCharge.objects.get()
    assert (record.state, record.decline_reason) == (CardChargeState.DECLINED, "not_charged")
    assert not Transfer.objects.exists()


def _died_after_charging(dies_after_charging: list[str], client: Any, key: str) -> CardCharge:
    """A deposit whose process died once the gateway had charged the card (now: unsettled
    at the end of the test, which its teardown's checks would report otherwise)."""
    dies_after_charging.append("pm_card_visa")
    with pytest.raises(ProcessDied):
        _deposit(client, key=key)
    return CardCharge.objects.get(key=f"deposit:{client.pk}:{gw.idempotency_key_digest(key)}")


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"not_charged": "KEY", "reference": "REF"}, "--not-charged takes no --reference"),
        ({"not_charged": "KEY", "reference": ""}, "--not-charged takes no --reference"),
        ({"reference": "REF"}, "--reference goes with --book"),
        ({"book": "KEY", "not_charged": "KEY", "reference": "REF"}, "not both"),
        ({"book": "KEY"}, "--book needs the provider's --reference"),
        ({"book": "KEY", "reference": "   "}, "--book needs the provider's --reference"),
        ({"book": "KEY", "reference": "r" * 65}, "65 characters; .* at most 64"),
        ({"book": "no-such-key", "reference": "REF"}, "No card charge has the key"),
        ({"book": "KEY", "reference": "OTHER"}, "booked already, for another card charge"),
    ],
)
def test_the_operator_is_refused_a_resolution_that_does_not_fit_and_nothing_changes(
    dies_after_charging, options, refusal
):
    client = client_user()
    other = _died_after_charging(dies_after_charging, client, "first")
    [other_made] = _charges()
    call_command(
        "card_charges_reconcile", book=other.key, reference=other_made.reference, stdout=StringIO()
    )
    record = _died_after_charging(dies_after_charging, client, "second")
    made = _charges()[-1]
    stand_ins = {"KEY": record.key, "REF": made.reference, "OTHER": other_made.reference}
    options = {name: stand_ins.get(value, value) for name, value in options.items()}
    charges = list(CardCharge.objects.order_by("id").values())
    transfers = list(Transfer.objects.order_by("id").values_list("id", flat=True))
    audits = AuditLogEntry.objects.count()
    with pytest.raises(CommandError, match=refusal):
        call_command("card_charges_reconcile", stdout=StringIO(), **options)
    assert list(CardCharge.objects.order_by("id").values()) == charges
    assert list(Transfer.objects.order_by("id").values_list("id", flat=True)) == transfers
    assert AuditLogEntry.objects.count() == audits
    assert _funding(client) == 10_000
    # What fits is still taken.
    call_command(
        "card_charges_reconcile", book=record.key, reference=made.reference, stdout=StringIO()
    )
    record.refresh_from_db()
    assert (record.state, record.gateway_reference) == (CardChargeState.BOOKED, made.reference)
    assert _funding(client) == 20_000


def test_the_operators_reference_is_booked_without_its_surrounding_blanks(dies_after_charging):
    client = client_user()
    record = _died_after_charging(dies_after_charging, client, "d1")
    [made] = _charges()
    call_command(
        "card_charges_reconcile",
        book=record.key,
        reference=f"  {made.reference}\n",
        stdout=StringIO(),
    )
    record.refresh_from_db()
    assert record.state == CardChargeState.BOOKED
    assert record.gateway_reference == made.reference
    assert record.transfer == Transfer.objects.get(idempotency_key=f"charge:{made.reference}")
    audit = AuditLogEntry.objects.get(action="card_charge.resolved")
    assert audit.detail == {"key": record.key, "state": "booked", "reference": made.reference}


@pytest.mark.parametrize(
    ("reference", "refusal"),
    [("   ", InvalidInput), ("r" * 65, InvalidInput), ("OTHER", Conflict)],
)
def test_the_resolve_service_refuses_a_reference_that_does_not_fit(
    dies_after_charging, reference, refusal
):
    client = client_user()
    other = _died_after_charging(dies_after_charging, client, "first")
    [other_made] = _charges()
    card_charge_resolve(charge=other, reference=other_made.reference, actor=None)
    record = _died_after_charging(dies_after_charging, client, "second")
    made = _charges()[-1]
    reference = other_made.reference if reference == "OTHER" else reference
    with pytest.raises(refusal):
        card_charge_resolve(charge=record, reference=reference, actor=None)
    record.refresh_from_db()
    assert record.state == CardChargeState.SENT
    assert not AuditLogEntry.objects.filter(detail__key=record.key).exists()
    card_charge_resolve(charge=record, reference=made.reference, actor=None)
    assert _funding(client) == 20_000


def test_the_reconcile_command_runs_the_rule_as_of_now(dies_after_charging):
    client = client_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        _deposit(client)
    out = StringIO()
    call_command("card_charges_reconcile", now=LAPSED.isoformat(), stdout=out)
    assert "1 card charge(s) booked" in out.getvalue()
    assert _funding(client) == 10_000


def test_a_late_answer_for_a_settled_charge_spends_nothing_from_the_balance(
    dies_after_charging,
):
    """A payment made inside a card's booking (`spend_on_booking`) is made only when that
    booking booked the charge: the gateway's answer arriving for a charge already booked or
    declined (a second process settling it too) locks the payment's rows and leaves, and
    the client's balance is not spent on it."""
    client = client_user()
    dies_after_charging.append("pm_card_mastercard")
    with clock.frozen_at(NOW):
        _deposit(client)
        with pytest.raises(ProcessDied):
            _deposit(client, key="d2", card="pm_card_mastercard")
    booked, unanswered = CardCharge.objects.order_by("id")
    declined = _card_charge_decline(unanswered, reason="test", reference="")
    spent: list[str] = []
    funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client)
    late = gw.ChargeResult(reference="late", status=gw.ChargeStatus.SUCCEEDED, amount=Money(10_000))
    for charge in (booked, declined):
        around = partial(
            spend_on_booking,
            lambda key=charge.key: ([funding], partial(spent.append, key)),
            what="test",
        )
        assert _card_charge_book(charge, late, around).state == charge.state
    assert spent == []
    assert (booked.state, declined.state) == (CardChargeState.BOOKED, CardChargeState.DECLINED)
    assert _funding(client) == 10_000


# --- milestone funding ----------------------------------------------------------------------


def _unfunded() -> tuple[Any, Any, int]:
    contract = contract_fixed((50_000,))
    milestone = contract.milestones.get()
    return contract.client, milestone, milestone_funding_quote(milestone=milestone).total_cents


def _fund(client: Any, milestone: Any, card: str) -> Any:
    milestone = type(milestone).objects.select_related("contract").get(pk=milestone.pk)
    return milestone_fund(client=client, milestone=milestone, payment_method=card)


def test_a_milestone_paid_with_another_card_after_a_crash_is_funded_by_the_first_charge(
    dies_after_charging, gateway_calls
):
    client, milestone, total = _unfunded()
    start = clock.now()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(start), pytest.raises(ProcessDied):
        _fund(client, milestone, "pm_card_visa")
    [first] = CardCharge.objects.all()
    assert (first.state, first.purpose) == (CardChargeState.SENT, CardChargePurpose.MILESTONE)
    assert first.subject == f"milestone:{milestone.pk}:fund"
    # A process that dies keeps its claim until it lapses (an exception frees it).
    ChargeClaim.objects.create(subject=first.subject, holder="dead", claimed_at=start)
    # Another card at once: the first request's claim still holds.
    with clock.frozen_at(start + timedelta(minutes=1)), pytest.raises(InvalidTransition):
        _fund(client, milestone, "pm_card_mastercard")
    # Once it lapsed: the first charge is settled and funds the milestone.
    with clock.frozen_at(start + CLAIM_TIMEOUT + timedelta(minutes=1)):
        funded = _fund(client, milestone, "pm_card_mastercard")
    assert funded.state == "funded"
    assert gateway_calls == [first.key, first.key]
    assert [op.instrument for op in _charges()] == ["pm_card_visa"]
    assert sum(op.amount_cents for op in _charges()) == total
    first.refresh_from_db()
    assert first.state == CardChargeState.BOOKED
    assert CardCharge.objects.count() == 1
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1
    assert _funding(client) == 0
    assert not ChargeClaim.objects.exists()


def _booked_by_the_reconcile_rule(
    client: Any, milestone: Any, dies_after_charging: list[str]
) -> datetime:
    """The client's card funding dies once the card is charged, and the reconcile rule books
    the charge into the balance once its claim lapsed; the time by then."""
    start = clock.now()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(start), pytest.raises(ProcessDied):
        _fund(client, milestone, "pm_card_visa")
    later = start + CLAIM_TIMEOUT + timedelta(minutes=1)
    with clock.frozen_at(later):
        assert card_charges_reconcile_run_due(now=later)["booked"] == 1
    return later


def test_a_milestone_charge_booked_by_the_reconcile_rule_funds_the_next_attempt(
    dies_after_charging, gateway_calls
):
    client, milestone, total = _unfunded()
    later = _booked_by_the_reconcile_rule(client, milestone, dies_after_charging)
    # The money is in the client's balance; the milestone is not funded yet.
    assert _funding(client) == total
    milestone.refresh_from_db()
    assert milestone.state == "not_funded"
    with clock.frozen_at(later):
        assert _fund(client, milestone, "pm_card_mastercard").state == "funded"
    assert len(gateway_calls) == 2  # the first call and the reconcile's replay
    assert len(_charges()) == 1
    assert _funding(client) == 0


def test_a_milestone_charge_spent_elsewhere_since_is_charged_again_with_the_same_card(
    dies_after_charging,
):
    """The reconcile rule booked a dead request's charge into the balance, and the client's
    other payments spent it: paying with the same card again is a new charge, not the old
    one's key answering with money that is gone."""
    client, milestone, total = _unfunded()
    later = _booked_by_the_reconcile_rule(client, milestone, dies_after_charging)
    with clock.frozen_at(later):
        other = contract_fixed((50_000,), client=client).milestones.get()
        _fund(client, other, "balance")
        assert _funding(client) == 0
        assert _fund(client, milestone, "pm_card_visa").state == "funded"
    assert [op.amount_cents for op in _charges()] == [total, total]
    assert list(CardCharge.objects.values_list("state", flat=True)) == [
        CardChargeState.BOOKED,
        CardChargeState.BOOKED,
    ]
    assert _funding(client) == 0


def test_a_milestone_closed_while_its_card_is_charged_leaves_the_money_on_the_balance(
    monkeypatch,
):
    """The booking funds the milestone in its own transaction; when the contract is no longer
    running by then, the charge is still booked, its money stays on the balance, and the
    client is told why the milestone was not funded."""
    client, milestone, total = _unfunded()
    real = gw.SandboxGateway.charge

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        result = real(self, **kwargs)
        type(milestone.contract).objects.filter(pk=milestone.contract_id).update(state="ended")
        return result

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    with pytest.raises(Conflict, match="ended"):
        _fund(client, milestone, "pm_card_visa")
    assert CardCharge.objects.get().state == CardChargeState.BOOKED
    assert _funding(client) == total
    milestone.refresh_from_db()
    assert (milestone.state, milestone.funded_cents) == ("not_funded", 0)
    assert not Transfer.objects.filter(kind="milestone_fund").exists()


def test_a_declined_milestone_charge_settled_later_lets_the_client_try_again():
    client, milestone, total = _unfunded()
    with clock.frozen_at(clock.now()), pytest.raises(PaymentDeclined):
        _fund(client, milestone, "pm_card_declined")
    assert _fund(client, milestone, "pm_card_visa").state == "funded"
    states = list(CardCharge.objects.order_by("id").values_list("state", flat=True))
    assert states == [CardChargeState.DECLINED, CardChargeState.BOOKED]
    assert len({charge.key for charge in CardCharge.objects.all()}) == 2
    assert [op.amount_cents for op in _charges()] == [total]


# --- Connects -------------------------------------------------------------------------------


def test_a_bundle_whose_request_died_is_booked_and_granted_once_by_the_reconcile_rule(
    dies_after_charging,
):
    user = freelancer_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW):
        with pytest.raises(ProcessDied):
            connects_bundle_buy(user=user, bundle=40, payment_method="pm_card_visa", key="b")
        before = connects_balance(user=user)
    assert not ConnectsMove.objects.filter(kind="purchase").exists()
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 1
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 0
        assert connects_balance(user=user) == before + 40
        # The client's retry answers with the granted bundle.
        move = connects_bundle_buy(user=user, bundle=40, payment_method="pm_card_visa", key="b")
        assert connects_balance(user=user) == before + 40
    assert move == ConnectsMove.objects.get(kind="purchase")
    assert Transfer.objects.filter(kind="connects_purchase").count() == 1
    assert len(_charges()) == 1


def test_plus_paid_with_another_key_after_a_crash_starts_from_the_first_charge(
    dies_after_charging, gateway_calls
):
    user = freelancer_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="first")
    assert ConnectsAccount.objects.get(user=user).plan == Plan.BASIC
    with clock.frozen_at(LAPSED):
        account = connects_plus_subscribe(
            user=user, payment_method="pm_card_mastercard", key="second"
        )
    assert account.plan == Plan.PLUS
    assert account.plus_payment_method == "pm_card_visa"
    assert account.plus_subscription_key == gw.idempotency_key_digest("first")
    assert len(set(gateway_calls)) == 1
    assert [op.instrument for op in _charges()] == ["pm_card_visa"]
    assert Transfer.objects.filter(kind="connects_plus").count() == 1
    # The first request, retried, is answered by the Plus it started.
    with clock.frozen_at(LAPSED):
        again = connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="first")
    assert again.plan == Plan.PLUS
    assert len(_charges()) == 1


def test_plus_whose_request_died_is_started_by_the_reconcile_rule(dies_after_charging):
    user = freelancer_user()
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(NOW), pytest.raises(ProcessDied):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="first")
    with clock.frozen_at(LAPSED):
        assert card_charges_reconcile_run_due(now=LAPSED)["booked"] == 1
    account = ConnectsAccount.objects.get(user=user)
    assert account.plan == Plan.PLUS
    assert ConnectsMove.objects.filter(key__startswith=f"plus:{account.pk}:start:").count() == 1
    assert Transfer.objects.filter(kind="connects_plus").count() == 1


def test_a_plus_renewal_whose_run_died_is_booked_and_its_month_closed_once(dies_after_charging):
    user = freelancer_user()
    with clock.frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    renewal = ConnectsAccount.objects.get(user=user).next_grant_at
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(renewal):
        assert connects_plans_run_due(now=renewal)["retry"] == 1
    record = CardCharge.objects.get(purpose=CardChargePurpose.PLUS_RENEWAL)
    assert (record.state, record.period_start) == (CardChargeState.SENT, renewal)
    later = renewal + CLAIM_TIMEOUT + timedelta(minutes=1)
    with clock.frozen_at(later):
        assert card_charges_reconcile_run_due(now=later)["booked"] == 1
        assert connects_plans_run_due(now=later) == {
            "basic": 0,
            "plus": 0,
            "lapsed": 0,
            "retry": 0,
        }
    account = ConnectsAccount.objects.get(user=user)
    assert account.plan == Plan.PLUS
    assert account.next_grant_at > renewal
    assert Transfer.objects.filter(kind="connects_plus").count() == 2
    assert len(_charges()) == 2


def test_a_plus_renewal_charged_before_a_cancellation_is_booked_for_the_month_it_paid(
    dies_after_charging,
):
    """The run charged the month and died; the freelancer cancels before the next run. That
    run settles the charge first: its booking grants the month it paid for on Plus, and the
    cancellation holds from the next monthly date. Revenue is never booked for a month
    granted as Basic."""
    user = freelancer_user()
    with clock.frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    renewal = ConnectsAccount.objects.get(user=user).next_grant_at
    dies_after_charging.append("pm_card_visa")
    with clock.frozen_at(renewal):
        assert connects_plans_run_due(now=renewal)["retry"] == 1
    assert CardCharge.objects.get(purpose=CardChargePurpose.PLUS_RENEWAL).state == (
        CardChargeState.SENT
    )
    with clock.frozen_at(renewal + timedelta(minutes=1)):
        connects_plus_cancel(user=user)
    # Before the reconcile rule would get to it (the charge's claim has not lapsed).
    later = renewal + timedelta(minutes=2)
    with clock.frozen_at(later):
        assert connects_plans_run_due(now=later) == {
            "basic": 0,
            "plus": 1,
            "lapsed": 0,
            "retry": 0,
        }
    record = CardCharge.objects.get(purpose=CardChargePurpose.PLUS_RENEWAL)
    assert record.state == CardChargeState.BOOKED
    account = ConnectsAccount.objects.get(user=user)
    assert (account.plan, account.plus_cancelled_at is not None) == (Plan.PLUS, True)
    assert account.next_grant_at > renewal
    allotment = ConnectsMove.objects.get(key=f"allotment:{account.pk}:{renewal:%Y%m%dT%H%M%S}")
    assert allotment.reference == "plan:plus"
    assert Transfer.objects.filter(kind="connects_plus").count() == 2
    assert len(_charges()) == 2
    # The next monthly date ends Plus, without a charge.
    after = account.next_grant_at
    with clock.frozen_at(after):
        assert connects_plans_run_due(now=after)["basic"] == 1
    assert ConnectsAccount.objects.get(user=user).plan == Plan.BASIC
    assert len(_charges()) == 2
    assert Transfer.objects.filter(kind="connects_plus").count() == 2


def test_a_plus_renewal_whose_key_is_busy_at_the_gateway_stays_open_instead_of_lapsing(
    monkeypatch,
):
    user = freelancer_user()
    with clock.frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    renewal = ConnectsAccount.objects.get(user=user).next_grant_at
    real = gw.SandboxGateway.charge

    def busy(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        # A concurrent replay holds the key: the provider cannot say yet what happened.
        raise IdempotencyConflict("The key is in use by another request.")

    monkeypatch.setattr(gw.SandboxGateway, "charge", busy)
    with clock.frozen_at(renewal):
        assert connects_plans_run_due(now=renewal)["retry"] == 1
    account = ConnectsAccount.objects.get(user=user)
    assert (account.plan, account.next_grant_at) == (Plan.PLUS, renewal)
    assert CardCharge.objects.get(purpose=CardChargePurpose.PLUS_RENEWAL).state == (
        CardChargeState.SENT
    )
    monkeypatch.setattr(gw.SandboxGateway, "charge", real)
    with clock.frozen_at(renewal + timedelta(minutes=1)):
        assert connects_plans_run_due(now=renewal + timedelta(minutes=1))["plus"] == 1
    assert ConnectsAccount.objects.get(user=user).plan == Plan.PLUS
    assert Transfer.objects.filter(kind="connects_plus").count() == 2


def test_a_fault_in_the_payment_on_booking_undoes_the_booking_and_the_retry_books_it_once(
    monkeypatch, gateway_calls
):
    """A fault other than a refusal (a database error, a bug) while the booking funds the
    milestone rolls the whole booking back after the gateway took the money: the charge
    stays `sent`, nothing is on the balance, and the next attempt replays the same key,
    books it once and funds the milestone."""
    client, milestone, total = _unfunded()
    real = funding._fund_locked

    def fault(**kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(funding, "_fund_locked", fault)
    with pytest.raises(RuntimeError):
        _fund(client, milestone, "pm_card_visa")
    [charge] = CardCharge.objects.all()
    assert charge.state == CardChargeState.SENT
    assert _funding(client) == 0
    assert not Transfer.objects.filter(kind="deposit").exists()
    monkeypatch.setattr(funding, "_fund_locked", real)
    assert _fund(client, milestone, "pm_card_visa").state == "funded"
    assert gateway_calls == [charge.key, charge.key]
    assert sum(op.amount_cents for op in _charges()) == total
    charge.refresh_from_db()
    assert charge.state == CardChargeState.BOOKED
    assert _funding(client) == 0

"""Issue 15, defect 12: the operator console shows money as money and records by what they
are; each staff role reads the contracts, offers, milestones, proposals, profiles and
conversations its work needs, and nothing more; nothing there can be added, changed or
deleted; finance runs the ledger check on demand and reads its result."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.db.models import F
from django.test import Client

from openlance.accounts.models import LocationVerification, User
from openlance.accounts.services import location_verification_submit
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.models import Payout, PayoutStatus
from openlance.contracts.common import contract_topic
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, Milestone
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.console import money_text
from openlance.core.tests.files import pdf_upload, png_upload
from openlance.disputes.models import Dispute
from openlance.disputes.services import dispute_open
from openlance.jobs.models import BudgetType, JobPost
from openlance.jobs.tests.factories import job_post
from openlance.ledger.models import LedgerAccount
from openlance.messaging.models import Conversation, Message
from openlance.messaging.services import conversation_open, message_send
from openlance.messaging.tests.factories import conversation
from openlance.profiles.models import ClientProfile, Freelancer
from openlance.proposals.models import Proposal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

SUPPORT, MEDIATOR, VERIFIER, FINANCE, POLICY = (
    "Support",
    "Mediator",
    "Verifier",
    "Finance",
    "Policy admin",
)
ROLES = [SUPPORT, MEDIATOR, VERIFIER, FINANCE, POLICY]

# Which staff roles read each of the console's new pages (a superuser reads them all).
READERS: dict[str, set[str]] = {
    "contracts/contract": {SUPPORT, MEDIATOR, FINANCE},
    "contracts/offer": {SUPPORT, MEDIATOR},
    "contracts/milestone": {SUPPORT, MEDIATOR, FINANCE},
    "contracts/hourlyinvoice": {SUPPORT, MEDIATOR, FINANCE},
    "contracts/refund": {SUPPORT, FINANCE},
    "contracts/refundrequest": {SUPPORT, FINANCE},
    "proposals/proposal": {SUPPORT},
    "profiles/freelancer": {SUPPORT, VERIFIER, MEDIATOR},
    "profiles/clientprofile": {SUPPORT, VERIFIER, MEDIATOR},
    "messaging/conversation": {MEDIATOR},
    "messaging/message": {MEDIATOR},
}


def staff(role: str) -> User:
    user = User.objects.create_user(f"{role.replace(' ', '-').lower()}@example.com", "x")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def superuser() -> Client:
    return signed_in(User.objects.create_superuser("ops@example.com", "x"))


@dataclass
class World:
    contract: Contract
    milestone: Milestone
    dispute: Dispute
    disputed_talk: Conversation
    other_talk: Conversation
    said: Message
    unrelated: Message

    def object_id(self, page: str) -> int:
        return {
            "contracts/contract": self.contract.pk,
            "contracts/offer": self.contract.offer_id,
            "contracts/milestone": self.milestone.pk,
            "proposals/proposal": Proposal.objects.get(job=self.contract.job).pk,
            "profiles/freelancer": Freelancer.objects.get(user=self.contract.freelancer).pk,
            "profiles/clientprofile": ClientProfile.objects.get(user=self.contract.client).pk,
            "messaging/conversation": self.disputed_talk.pk,
            "messaging/message": self.said.pk,
        }[page]


@pytest.fixture
def world() -> World:
    """A fixed-price contract ($900.00) whose funded, submitted milestone is in dispute, with
    the contract's conversation; and another conversation no dispute is about."""
    contract = contract_fixed((90_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone.refresh_from_db()
    talk = conversation_open(
        topic=contract_topic(contract),
        title=contract.title,
        members=[contract.client, contract.freelancer],
    )
    said = message_send(conversation=talk, sender=contract.freelancer, body="Pages are live.")
    dispute = dispute_open(user=contract.freelancer, milestone=milestone, reason="Not released.")
    other = conversation(freelancer_user(), contract.client)
    unrelated = message_send(conversation=other, sender=contract.client, body="Private words.")
    milestone.refresh_from_db()
    return World(contract, milestone, dispute, talk, other, said, unrelated)


# --- money as money, records by what they are ----------------------------------------------


def test_money_text_is_money():
    assert money_text(90_000) == "$900.00"
    assert money_text(-1_250, "EUR") == "-EUR 12.50"
    assert money_text(None) is None


def test_a_job_posts_budget_shows_as_money_on_its_list_and_page(superuser):
    job = job_post(budget_cents=90_000)
    hourly = job_post(budget_type=BudgetType.HOURLY, hourly_min_cents=2_500, hourly_max_cents=4_000)
    listing = superuser.get("/admin/jobs/jobpost/").content.decode()
    assert "$900.00" in listing
    assert "$25.00 to $40.00 an hour" in listing
    page = superuser.get(f"/admin/jobs/jobpost/{job.pk}/change/").content.decode()
    assert "$900.00" in page
    assert "90000" not in page
    assert "Budget cents" not in page
    hourly_page = superuser.get(f"/admin/jobs/jobpost/{hourly.pk}/change/").content.decode()
    assert "$25.00" in hourly_page
    assert "$40.00" in hourly_page
    assert "Hourly min cents" not in hourly_page


def test_contract_milestone_and_dispute_amounts_show_as_money(superuser, world):
    contract = superuser.get(f"/admin/contracts/contract/{world.contract.pk}/change/")
    assert contract.status_code == 200
    text = contract.content.decode()
    assert "$900.00" in text  # the milestone's amount and funding, on the contract's page
    assert "90000" not in text
    milestones = superuser.get("/admin/contracts/milestone/").content.decode()
    assert "$900.00" in milestones
    assert "90000" not in milestones
    # The dispute queue names `amount_cents` in its columns; it shows as money all the same.
    disputes = superuser.get("/admin/disputes/dispute/").content.decode()
    assert "$900.00" in disputes
    assert "90000" not in disputes


def test_records_read_as_what_they_are():
    verification = location_verification_submit(
        user=freelancer_user(),
        country="US",
        city="Austin",
        note="",
        id_document=pdf_upload("passport.pdf"),
        proof_of_address=png_upload("bill.png"),
    )
    assert str(verification) == (
        f"Location verification {verification.pk} of user {verification.user_id}: "
        "Austin, United States of America (waiting for review)"
    )
    assert not re.fullmatch(r"\d+ US submitted", str(verification))
    payout = Payout(pk=3, amount_cents=90_000, fee_cents=0, status=PayoutStatus.PAID)
    assert str(payout) == "Payout 3: $900.00 (paid)"


def test_a_verifications_page_is_titled_by_what_it_is(superuser):
    verification = location_verification_submit(
        user=freelancer_user(),
        country="US",
        city="Austin",
        note="",
        id_document=pdf_upload("passport.pdf"),
        proof_of_address=png_upload("bill.png"),
    )
    page = superuser.get(f"/admin/accounts/locationverification/{verification.pk}/change/")
    text = page.content.decode()
    assert f"Location verification {verification.pk} of user" in text
    assert f"{verification.user_id} US submitted" not in text
    assert LocationVerification.objects.count() == 1


# --- each role reads what its work needs, and nothing more -------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_pages_its_work_needs_and_no_others(role, world):
    browser = signed_in(staff(role))
    index = browser.get("/admin/").content.decode()
    for page, readers in READERS.items():
        expected = 200 if role in readers else 403
        listing = browser.get(f"/admin/{page}/")
        assert listing.status_code == expected, (role, page, listing.status_code)
        assert (f'href="/admin/{page}/"' in index) == (role in readers), (role, page)
        if page in {"contracts/hourlyinvoice", "contracts/refund", "contracts/refundrequest"}:
            continue  # no such record in this world; the list answers for the page
        detail = browser.get(f"/admin/{page}/{world.object_id(page)}/change/")
        assert detail.status_code == expected, (role, page, detail.status_code)


def test_a_superuser_reads_every_page(superuser, world):
    for page in READERS:
        assert superuser.get(f"/admin/{page}/").status_code == 200, page


def test_signed_out_visitors_and_non_staff_are_sent_to_sign_in(world):
    member = signed_in(world.contract.client)
    for browser in (Client(), member):
        for page in READERS:
            answer = browser.get(f"/admin/{page}/")
            assert answer.status_code == 302, page
            assert "/admin/login/" in answer["Location"]


def test_a_mediator_reads_the_conversations_of_disputed_contracts_only(world):
    mediator = signed_in(staff(MEDIATOR))
    conversations = mediator.get("/admin/messaging/conversation/").content.decode()
    assert world.contract.title in conversations
    assert world.other_talk.title not in conversations
    talk = mediator.get(f"/admin/messaging/conversation/{world.disputed_talk.pk}/change/")
    assert "Pages are live." in talk.content.decode()
    messages = mediator.get("/admin/messaging/message/").content.decode()
    assert "Pages are live." in messages
    assert "Private words." not in messages
    # Out of scope is as if it did not exist: the console's "no such record" redirect.
    elsewhere = mediator.get(f"/admin/messaging/conversation/{world.other_talk.pk}/change/")
    assert elsewhere.status_code == 302
    assert mediator.get(f"/admin/messaging/message/{world.unrelated.pk}/change/").status_code == 302


def test_a_superuser_reads_every_conversation(superuser, world):
    messages = superuser.get("/admin/messaging/message/").content.decode()
    assert "Pages are live." in messages
    assert "Private words." in messages


# --- read-only: nothing added, changed or deleted -------------------------------------------


def test_the_new_pages_add_change_and_delete_nothing(superuser, world):
    before = (
        Contract.objects.values_list("state", "title").get(pk=world.contract.pk),
        Milestone.objects.values_list("state", "amount_cents").get(pk=world.milestone.pk),
        Message.objects.count(),
    )
    for page in [
        "contracts/contract",
        "contracts/offer",
        "contracts/milestone",
        "proposals/proposal",
        "profiles/freelancer",
        "profiles/clientprofile",
        "messaging/conversation",
        "messaging/message",
    ]:
        object_id = world.object_id(page)
        assert superuser.get(f"/admin/{page}/add/").status_code == 403, page
        assert superuser.get(f"/admin/{page}/{object_id}/delete/").status_code == 403, page
        detail = superuser.get(f"/admin/{page}/{object_id}/change/").content.decode()
        assert 'name="_save"' not in detail, page
        assert "deletelink" not in detail, page
        assert superuser.post(f"/admin/{page}/{object_id}/change/", {}).status_code == 403, page
    # Nothing to select and delete in bulk either.
    listing = superuser.get("/admin/contracts/contract/").content.decode()
    assert "delete_selected" not in listing
    after = (
        Contract.objects.values_list("state", "title").get(pk=world.contract.pk),
        Milestone.objects.values_list("state", "amount_cents").get(pk=world.milestone.pk),
        Message.objects.count(),
    )
    assert after == before


# --- the ledger check, finance's ----------------------------------------------------------

CHECK = "/admin/ledger/ledgeraccount/check/"


def test_finance_runs_the_ledger_check_and_reads_that_all_invariants_hold(world):
    finance = signed_in(staff(FINANCE))
    listing = finance.get("/admin/ledger/ledgeraccount/").content.decode()
    assert CHECK in listing  # the button on the ledger accounts page
    page = finance.get(CHECK)
    assert page.status_code == 200
    assert "Run the ledger check" in page.content.decode()
    assert "All invariants hold" not in page.content.decode()  # nothing run yet
    result = finance.post(CHECK).content.decode()
    assert "All invariants hold" in result
    accounts = LedgerAccount.objects.count()
    assert f"{accounts} accounts" in result
    assert "transfers" in result
    assert "entries" in result
    assert "Connects (SPEC §5)" in result
    assert "Payments (SPEC §8.2)" in result


def test_the_ledger_check_shows_what_is_broken(superuser, world):
    account = LedgerAccount.objects.filter(balance_cents__gt=0).order_by("pk").first()
    assert account is not None
    LedgerAccount.objects.filter(pk=account.pk).update(balance_cents=F("balance_cents") + 1)
    try:
        result = superuser.post(CHECK).content.decode()
        assert "All invariants hold" not in result
        assert re.search(r"\d+ invariant violations? found", result)
        assert f"account {account.code}: balance" in result
    finally:
        LedgerAccount.objects.filter(pk=account.pk).update(balance_cents=F("balance_cents") - 1)


@pytest.mark.parametrize("role", [SUPPORT, MEDIATOR, VERIFIER, POLICY])
def test_other_roles_cannot_run_the_ledger_check(role):
    browser = signed_in(staff(role))
    assert browser.get(CHECK).status_code == 403
    assert browser.post(CHECK).status_code == 403


def test_the_ledger_check_needs_a_staff_sign_in(world):
    for browser in (Client(), signed_in(world.contract.client)):
        answer = browser.post(CHECK)
        assert answer.status_code == 302
        assert "/admin/login/" in answer["Location"]


def test_support_sees_no_ledger_check_button(world):
    # Support reads transfers, not ledger accounts, and the check is not theirs.
    support = signed_in(staff(SUPPORT))
    assert support.get("/admin/ledger/ledgeraccount/").status_code == 403
    assert JobPost.objects.exists()

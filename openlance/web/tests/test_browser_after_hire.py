"""After the hire, in Chromium against the live server (SPEC §7.3, §9; issue 14): the
reimbursement story — an expense agreed in chat becomes a contract term from the message,
the client accepts, funds and releases it, and the freelancer is paid in full; and a
dispute that ends in a mediated split, seen from both sides and from the mediator's queue."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group

from openlance.accounts.tests.factories import UserFactory, client_user, freelancer_user
from openlance.billing.models import PendingEarning
from openlance.billing.services import funds_deposit
from openlance.contracts.common import contract_topic
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, Expense
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.money import Money
from openlance.core.tests.files import pdf_upload
from openlance.messaging.services import conversation_open, message_send
from openlance.profiles.tests.factories import client_with_profile, freelancer_with_profile
from openlance.web.tests.browser import PASSWORD, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser_as(chromium, live_server) -> Iterator[Callable[[str], Any]]:
    contexts = []

    def open_as(email: str) -> Any:
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        sign_in(tab, email)
        return tab

    yield open_as
    for context in contexts:
        context.close()


def hired() -> Contract:
    freelancer = freelancer_user(email="ines@example.com", first_name="Ines", last_name="Roy")
    freelancer_with_profile(user=freelancer, title="Content writer")
    client = client_with_profile(
        user=client_user(email="omar@example.com", first_name="Omar", last_name="Haddad")
    ).user
    contract = contract_fixed((40_000,), client=client, freelancer=freelancer)
    funds_deposit(user=client, amount=Money(100_000), payment_method="pm_card_visa", key="k")
    return contract


def test_an_expense_agreed_in_chat_becomes_a_term_and_is_reimbursed_in_full(browser_as, tmp_path):
    contract = hired()
    conversation = conversation_open(
        topic=contract_topic(contract),
        title=contract.title,
        members=[contract.client, contract.freelancer],
    )
    message_send(
        conversation=conversation,
        sender=contract.client,
        body="Please buy the stock photos you found, $120, and I will reimburse you.",
    )
    receipt = tmp_path / "photos-receipt.pdf"
    receipt.write_bytes(pdf_upload("photos-receipt.pdf").read())

    ines = browser_as("ines@example.com")
    ines.goto(f"/messages/{conversation.pk}/")
    ines.get_by_test_id("propose-from-message").first.click()
    ines.get_by_test_id("from-message").wait_for()
    expenses = ines.locator("#expenses")
    assert expenses.get_by_label("Amount").input_value() == "120"
    expenses.get_by_label("What it paid for").fill("Stock photos for the landing page")
    expenses.get_by_label("Receipt").set_input_files(str(receipt))
    expenses.get_by_role("button", name="Propose").click()
    ines.get_by_text("Expense proposed.").wait_for()

    omar = browser_as("omar@example.com")
    omar.goto(f"/messages/{conversation.pk}/")
    proposals = omar.get_by_test_id("chat-proposals")
    assert "Expense: Stock photos for the landing page · $120.00" in proposals.inner_text()
    proposals.get_by_role("button", name="Accept").click()
    omar.get_by_text("Accepted: the expense is part of the contract.").wait_for()
    omar.goto(f"/contracts/{contract.pk}/#expenses")
    omar.locator("#expenses").get_by_role("button", name="Fund $120.00").click()
    omar.get_by_text("is funded: the money is in escrow").wait_for()
    omar.locator("#expenses").get_by_role("button", name="Reimburse").click()
    omar.get_by_text("Reimbursed: the freelancer receives it in full").wait_for()

    expense = Expense.objects.get()
    assert expense.state == "released"
    assert expense.source_message is not None
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    assert (earning.kind, earning.amount_cents) == ("expense", 12_000)
    ines.goto(f"/contracts/{contract.pk}/")
    assert "Reimbursed" in ines.locator("#expenses").inner_text()


def test_a_dispute_ends_in_a_mediated_split_seen_from_both_sides_and_the_queue(browser_as):
    contract = hired()
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="balance")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="All done")
    mediator = UserFactory(email="mira@example.com", is_staff=True)
    mediator.set_password(PASSWORD)
    mediator.save()
    mediator.groups.add(Group.objects.get_or_create(name="Mediator")[0])

    omar = browser_as("omar@example.com")
    omar.goto(f"/contracts/{contract.pk}/")
    omar.get_by_text("Ask for the escrow back (open a dispute)").click()
    omar.get_by_label("What went wrong?").fill("Two of the four articles were never delivered.")
    omar.get_by_role("button", name="Open a dispute").click()
    omar.get_by_text("Dispute opened: the escrow is frozen.").wait_for()
    dispute_url = omar.url

    ines = browser_as("ines@example.com")
    ines.goto(dispute_url)
    ines.get_by_label("Your side").fill("All four are in the shared folder since Monday.")
    ines.get_by_role("button", name="Send the response").click()
    ines.get_by_text("Response sent").wait_for()

    mira = browser_as("mira@example.com")
    mira.goto("/disputes/queue/")
    mira.get_by_test_id("mediation-queue").get_by_role("link", name=contract.title).click()
    forms = mira.get_by_test_id("mediator-forms")
    forms.get_by_label("To the freelancer").fill("300")
    forms.get_by_label("Why").fill("Three articles meet the brief; one needs rework.")
    forms.get_by_role("button", name="Propose").click()
    mira.get_by_text("Split proposed to both sides.").wait_for()

    for tab in (omar, ines):
        tab.goto(dispute_url)
        assert "$300.00 to the freelancer" in tab.get_by_test_id("proposal").inner_text()
        tab.get_by_role("button", name="Accept the split").click()
        tab.get_by_text("Accepted.").wait_for()
    omar.goto(dispute_url)
    outcome = omar.get_by_test_id("dispute-outcome").inner_text()
    assert "$300.00 to the freelancer, $100.00 back to the client" in outcome
    mira.goto("/disputes/queue/")
    assert "No open disputes." in mira.content()

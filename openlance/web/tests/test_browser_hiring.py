"""Hiring and getting paid, end to end in Chromium against the live server: the client hires
from a proposal, the freelancer accepts, the client funds the milestone by card, the
freelancer submits, the client asks for changes, the freelancer resubmits, the client
approves; the net waits in pending, becomes available once the clock passes the security
period, and the freelancer withdraws part of it (SPEC §6, §7.1, §8; issue 5 item 8).

The live server runs in a thread of this process, so `clock.frozen_at` moves its time too."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.earnings import SECURITY_PERIOD
from openlance.billing.models import Payout
from openlance.billing.payouts import ACTIVATION_HOLD, earnings_release_run_due
from openlance.connects.models import LotSource
from openlance.connects.services import connects_grant
from openlance.core import clock
from openlance.core.tests.files import pdf_bytes
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.proposals.tests.factories import proposal
from openlance.web.tests.browser import fill_card, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Online shop for a ceramics studio"
CRITERIA = ["Product pages render on phones", "Checkout sends a receipt"]
PDF = pdf_bytes()
MINUS = "\u2212"  # as the release table prints a fee


def nav_link(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def fact(scope, label):
    """The figure next to `label` in a row of facts (contract totals, a milestone's money)."""
    return scope.locator("li", has=scope.page.locator(".label", has_text=label)).locator("strong")


def balance(page, kind):
    return page.get_by_test_id(f"balance-{kind}").inner_text().strip()


def row_figure(table, label):
    """The right-hand cell of the row of `table` that starts with `label`."""
    return table.locator("tr", has_text=label).locator("td").last.inner_text().strip()


def test_hire_fund_changes_approve_then_pending_available_and_withdraw(
    page, chromium, live_server, assert_ledger_sound
):
    maya = freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lopez")
    freelancer_with_profile(user=maya, title="Shop builder for makers")
    connects_grant(
        user=maya, units=20, source=LotSource.PURCHASE, key="test:maya", description="Test"
    )
    client = job_client(country="US", payment_method_verified=True)
    job = job_post(client=client, title=TITLE, budget_cents=60_000)
    proposal(job=job, freelancer=maya, bid_cents=60_000)

    # The client, in their own browser: Hire from the proposals list; the offer form comes
    # filled from the $600 bid; add the acceptance criteria and send it.
    office = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    desk = office.new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, client.email)
    desk.goto(f"/proposals/job/{job.pk}/")
    desk.get_by_role("heading", name="Proposals").wait_for()
    desk.locator(".proposal-row", has_text="Maya L.").get_by_role("link", name="Hire").click()
    desk.get_by_role("heading", name="Hire Maya L.").wait_for()
    first = desk.locator("fieldset.offer-milestone").first
    assert first.get_by_label("Milestone 1").input_value() == TITLE
    assert first.get_by_label("Amount ($)").input_value() == "600.00"
    first.get_by_label("Acceptance criteria").fill("\n".join(CRITERIA))
    desk.get_by_label("Message to the freelancer").fill("Happy to have you on board, Maya.")
    desk.get_by_role("button", name="Send offer").click()
    desk.get_by_text("Offer sent to Maya L.").wait_for()
    terms = desk.get_by_test_id("offer-terms")
    assert fact(terms, "Total").inner_text() == "$600.00"

    # Maya finds the offer under Contracts → Offers and accepts it: the contract room opens.
    sign_in(page, "maya@example.com")
    nav_link(page, "Contracts").click()
    page.get_by_role("link", name="Offers 1").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_test_id("offer-answer").get_by_role("button", name="Accept offer").click()
    page.get_by_text("Offer accepted: your contract has started.").wait_for()
    page.get_by_role("heading", name=TITLE, level=1).wait_for()
    room_url = page.url
    work = page.get_by_test_id("milestone")
    assert work.locator(".card-head .badge").inner_text() == "Not funded"

    # The client funds the milestone by card: $600 plus the 3% marketplace fee ($18.00) and
    # the $2.95 initiation fee of a contract's first payment.
    desk.goto(room_url)
    card = desk.get_by_test_id("milestone")
    fund = card.locator("form.fund-form")
    assert row_figure(fund, "Milestone") == "$600.00"
    assert row_figure(fund, "Marketplace fee") == "$18.00"
    assert row_figure(fund, "Contract initiation fee") == "$2.95"
    assert fund.locator("tr", has_text="Total").locator("th").last.inner_text() == "$620.95"
    fill_card(fund)
    fund.get_by_role("button", name="Pay $620.95 into escrow").click()
    desk.get_by_text(f"“{TITLE}” is funded: the money is in escrow.").wait_for()
    assert card.locator(".card-head .badge").inner_text() == "Funded"
    assert fact(card, "In escrow").inner_text() == "$600.00"
    desk.reload()
    assert fact(desk.get_by_test_id("contract-totals"), "In escrow").inner_text() == "$600.00"
    # The client's wallet: the money in escrow, and the funding with its fees in the history.
    nav_link(desk, "Wallet").click()
    desk.get_by_role("heading", name="Wallet", level=1).wait_for()
    assert balance(desk, "escrow") == "$600.00"
    assert balance(desk, "client_funding") == "$0.00"
    billed = desk.locator("#billing-history tbody tr").locator("td")
    assert [billed.nth(n).inner_text() for n in range(2, 6)] == [
        "$600.00",
        "$18.00",
        "$2.95",
        "$620.95",
    ]
    desk.goto(room_url)

    # Maya submits: a message, both criteria ticked, a PDF.
    page.reload()
    assert work.locator(".card-head .badge").inner_text() == "Funded"
    work.locator("summary", has_text="Submit work").click()
    work.get_by_label("Message to the client").fill("The shop is live on staging.")
    for criterion in CRITERIA:
        work.get_by_label(criterion).check()
    work.get_by_label("Files").set_input_files(
        files=[{"name": "handover.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    work.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted. The client has 14 days to review it.").wait_for()
    assert work.locator(".card-head .badge").inner_text() == "Submitted for review"
    assert work.get_by_role("link", name="handover.pdf").is_visible()

    # The client reads it and asks for changes.
    desk.reload()
    assert card.locator(".card-head .badge").inner_text() == "Submitted for review"
    assert card.get_by_text("The shop is live on staging.").is_visible()
    card.locator("summary", has_text="Request changes").click()
    card.get_by_label("What should change?").fill("Please add a gift-wrap option at checkout.")
    card.get_by_role("button", name="Send back").click()
    desk.get_by_text("Changes requested. The freelancer will resubmit.").wait_for()
    assert card.locator(".card-head .badge").inner_text() == "Changes requested"

    # Maya sees the request and resubmits (the form opens by itself).
    page.reload()
    assert "Please add a gift-wrap option at checkout." in (
        work.get_by_test_id("changes-requested").inner_text()
    )
    work.get_by_label("Message to the client").fill("Gift wrap added; see the checkout page.")
    for criterion in CRITERIA:
        work.get_by_label(criterion).check()
    work.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted. The client has 14 days to review it.").wait_for()
    assert work.locator("summary", has_text="Submissions (2)").is_visible()

    # The client approves everything in escrow. First $600 billed with this client on the
    # sliding 20/10/5 schedule: 20% of $500 + 10% of $100 = $110; $490 to Maya.
    desk.reload()
    card.locator("summary", has_text="Approve and pay").click()
    card.get_by_role("button", name="Approve", exact=True).click()
    desk.get_by_text(f"“{TITLE}” is approved and the payment released.").wait_for()
    assert card.locator(".card-head .badge").inner_text() == "Approved and paid"
    release = card.get_by_test_id("release")
    assert row_figure(release, "Released") == "$600.00"
    assert row_figure(release, "Service fee 20% of $500.00") == f"{MINUS}$100.00"
    assert row_figure(release, "Service fee 10% of $100.00") == f"{MINUS}$10.00"
    assert row_figure(release, "Paid to the freelancer") == "$490.00"
    office.close()

    # Maya's wallet: $490 pending, nothing available yet; she adds PayPal ($2 a payout),
    # which is on hold for 3 days.
    page.reload()
    assert row_figure(work.get_by_test_id("release"), "Your earnings (pending)") == "$490.00"
    nav_link(page, "Wallet").click()
    page.get_by_role("heading", name="Wallet", level=1).wait_for()
    assert balance(page, "freelancer_pending") == "$490.00"
    assert balance(page, "freelancer_available") == "$0.00"
    settings = page.locator("#payout-settings")
    settings.get_by_role("radio", name=re.compile("^PayPal")).check()
    settings.get_by_label("PayPal address").fill("maya@example.com")
    settings.get_by_role("button", name="Add method").click()
    settings.get_by_text("Method added. It becomes active in 3 days.").wait_for()
    assert settings.get_by_text("PayPal m•••@example.com", exact=True).is_visible()

    # Six days on: past the 5-day security period and the method's 3-day hold. The
    # scheduler's rule moves the earning to available.
    later = clock.now() + max(SECURITY_PERIOD, ACTIVATION_HOLD) + timedelta(days=1)
    with clock.frozen_at(later):
        assert earnings_release_run_due(now=later) == 1
        page.reload()
        assert balance(page, "freelancer_pending") == "$0.00"
        assert balance(page, "freelancer_available") == "$490.00"
        assert (
            settings.locator("#method-" + str(maya.withdrawal_methods.get().pk))
            .get_by_text("Active", exact=True)
            .is_visible()
        )

        # Get paid now: $300 to PayPal, $2.00 of it the method's fee; $190 stays available.
        paid = page.locator("#get-paid")
        paid.get_by_label("Amount").fill("300")
        paid.get_by_label("Send to").select_option(
            label="PayPal m•••@example.com ($2.00 per payout)"
        )
        paid.get_by_role("button", name="Withdraw").click()
        page.get_by_text("$298.00 is on its way to your PayPal m•••@example.com.").wait_for()
        assert balance(page, "freelancer_available") == "$190.00"
        assert balance(page, "freelancer_pending") == "$0.00"
        payout = Payout.objects.get(user=maya)
        assert (payout.amount_cents, payout.fee_cents, payout.net_cents) == (30_000, 200, 29_800)
        row = page.locator(f"#payout-{payout.pk}")
        cells = row.locator("td")
        assert cells.nth(1).inner_text().startswith("PayPal m•••@example.com")
        assert cells.nth(2).inner_text() == "$298.00"
        assert cells.nth(3).inner_text() == "$2.00"
        withdrawal = page.get_by_test_id(f"breakdown-{payout.withdrawal_transfer_id}")
        assert withdrawal.inner_text() == "Withdrawn $300.00 · Method fee $2.00 · Sent $298.00"
        assert page.get_by_test_id(f"payout-status-{payout.pk}").inner_text() == "On its way"

        # The sandbox bank confirms it: paid, and the balances stay as they are.
        call_command("payout_sandbox_finish", str(payout.pk), stdout=StringIO())
        page.reload()
        assert page.get_by_test_id(f"payout-status-{payout.pk}").inner_text() == "Paid"
        assert balance(page, "freelancer_available") == "$190.00"

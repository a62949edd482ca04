"""The contract room: who sees it, what each side can do, errors in place, htmx fragments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openlance.accounts.tests.factories import client_user
from openlance.billing.tests.card_entry import new_card
from openlance.billing.tests.factories import paid_for_work
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.submissions import milestone_resubmit, milestone_submit
from openlance.contracts.models import Amendment, Milestone, MilestoneState
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.tests.files import pdf_bytes
from openlance.ledger.models import Transfer
from openlance.messaging.selectors import conversation_by_topic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

PDF = pdf_bytes()
HTMX = {"HX-Request": "true"}


def room(contract) -> str:
    return reverse("contract_detail", args=[contract.pk])


def first(contract) -> Milestone:
    return contract.milestones.order_by("position")[0]


def test_only_the_two_parties_see_the_room(client):
    contract = contract_fixed((50_000,))
    assert client.get(room(contract)).status_code == 302
    client.force_login(client_user())
    assert client.get(room(contract)).status_code == 404
    assert client.get(reverse("contract_detail", args=[99_999_999])).status_code == 404
    client.force_login(contract.freelancer)
    page = client.get(room(contract))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Not funded: work on this milestone is not protected" in body
    assert "Submit work" in body
    assert "Pay " not in body


def test_client_sees_the_funding_breakdown_and_funds_by_card_with_htmx(client):
    contract = contract_fixed((50_000,))
    client.force_login(contract.client)
    body = client.get(room(contract)).content.decode()
    assert "$15.00" in body  # marketplace fee
    assert "$2.95" in body  # initiation fee
    assert "$517.95" in body
    url = reverse("milestone_fund", args=[first(contract).pk])
    prefix = f"m{first(contract).pk}"
    declined = client.post(url, new_card("pm_card_declined", prefix=prefix), headers=HTMX)
    assert declined.status_code == 200
    assert "declined" in declined.content.decode()
    assert 'id="contract-milestones"' in declined.content.decode()
    assert not Transfer.objects.filter(kind="milestone_fund").exists()
    missing = client.post(
        url, {**new_card(prefix=prefix), f"{prefix}-card_number": ""}, headers=HTMX
    )
    assert "Enter the card number as printed on the card." in missing.content.decode()
    funded = client.post(url, new_card(prefix=prefix), headers=HTMX)
    assert "is funded" in funded.content.decode()
    assert first(contract).state == MilestoneState.FUNDED
    # The contract's totals come along out of band: $500.00 now reads as in escrow.
    totals = funded.content.decode().split('id="contract-totals"', 1)[1].split("</ul>")[0]
    assert 'hx-swap-oob="true"' in totals
    assert "In escrow</span><strong>$500.00" in totals


def test_freelancer_submits_with_files_and_the_client_downloads_them(client):
    contract = contract_fixed((50_000,))
    milestone = first(contract)
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    client.force_login(contract.freelancer)
    prefix = f"m{milestone.pk}"
    criterion = milestone.criteria.first().pk
    response = client.post(
        reverse("milestone_submit", args=[milestone.pk]),
        {
            f"{prefix}-message": "All done.",
            f"{prefix}-criteria_met": [criterion],
            f"{prefix}-attachments": [SimpleUploadedFile("work.pdf", PDF)],
        },
    )
    assert response.status_code == 302
    submission = Milestone.objects.get(pk=milestone.pk).submissions.get()
    assert submission.criteria_met == [criterion]
    file = submission.files.get()
    download = reverse("contract_submission_file", args=[file.pk])
    client.force_login(contract.client)
    got = client.get(download)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    client.force_login(client_user())
    assert client.get(download).status_code == 404


def test_unfunded_submission_needs_the_tick_shown_in_place(client):
    contract = contract_fixed((50_000,))
    milestone = first(contract)
    client.force_login(contract.freelancer)
    prefix = f"m{milestone.pk}"
    url = reverse("milestone_submit", args=[milestone.pk])
    refused = client.post(url, {f"{prefix}-message": "Early work"})
    assert refused.status_code == 200
    assert "Confirm to submit unfunded work." in refused.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).state == MilestoneState.NOT_FUNDED
    client.post(url, {f"{prefix}-message": "Early work", f"{prefix}-acknowledge_unfunded": "on"})
    assert Milestone.objects.get(pk=milestone.pk).state == MilestoneState.SUBMITTED


def test_client_requests_changes_then_approves_partially_and_sees_the_fee_breakdown(client):
    contract = contract_fixed((60_000,))
    milestone = first(contract)
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    client.force_login(contract.client)
    prefix = f"m{milestone.pk}"
    empty = client.post(
        reverse("milestone_request_changes", args=[milestone.pk]),
        {f"{prefix}-message": ""},
        headers=HTMX,
    )
    assert "This field is required." in empty.content.decode()
    client.post(
        reverse("milestone_request_changes", args=[milestone.pk]), {f"{prefix}-message": "Fix it"}
    )
    milestone_resubmit(freelancer=contract.freelancer, milestone=milestone, message="Fixed")
    too_much = client.post(
        reverse("milestone_approve", args=[milestone.pk]),
        {f"{prefix}-amount": "700", f"{prefix}-remainder": "refund"},
        headers=HTMX,
    )
    assert "At most $600.00 is in escrow." in too_much.content.decode()
    client.post(
        reverse("milestone_approve", args=[milestone.pk]),
        {f"{prefix}-amount": "550", f"{prefix}-remainder": "refund"},
    )
    body = client.get(room(contract)).content.decode()
    assert "Service fee 20% of $500.00" in body
    assert "Service fee 10% of $50.00" in body
    assert "$445.00" in body  # net: 550 - 100 - 5
    assert "$50.00 was refunded to the client." in body


def test_amendment_proposed_accepted_and_contract_ended_through_the_room(client):
    contract = contract_fixed((50_000,))
    client.force_login(contract.freelancer)
    bad = client.post(
        reverse("amendment_propose", args=[contract.pk]), {"description": "More", "amount": "1"}
    )
    assert bad.status_code == 200
    assert "Between $5.00" in bad.content.decode()
    client.post(
        reverse("amendment_propose", args=[contract.pk]),
        {"description": "Extra page", "amount": "120", "criteria": "Fast\nAccessible"},
    )
    amendment = Amendment.objects.get()
    assert amendment.criteria == ["Fast", "Accessible"]
    client.force_login(contract.client)
    assert "Extra page" in client.get(room(contract)).content.decode()
    client.post(reverse("amendment_answer", args=[amendment.pk, "accept"]))
    assert contract.milestones.count() == 2
    for milestone in contract.milestones.all():
        client.post(reverse("milestone_cancel", args=[milestone.pk]))
    client.post(reverse("contract_end", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.state == "ended"


def test_the_contract_conversation_opens_on_first_use(client):
    contract = contract_fixed((50_000,))
    client.force_login(contract.client)
    response = client.post(reverse("contract_conversation", args=[contract.pk]))
    conversation = conversation_by_topic(topic=f"contract:{contract.pk}")
    assert conversation is not None
    assert response.url == reverse("conversation_detail", args=[conversation.pk])
    assert "Open the conversation" in client.get(room(contract)).content.decode()


def test_the_room_shows_what_the_pair_billed_together_and_the_next_fee_rate(client):
    contract = contract_fixed((10_000,))
    room = reverse("contract_detail", args=[contract.pk])
    client.force_login(contract.freelancer)
    card = _card(client.get(room).content.decode(), "billed-together")
    assert "Nothing billed" in card
    assert "starts at 20%" in card
    # Another contract between the same two people counts too (SPEC §8.2).
    paid_for_work(contract.freelancer, contract.client, 60_000)
    client.force_login(contract.client)
    card = _card(client.get(room).content.decode(), "billed-together")
    assert "$600.00" in card
    assert "1 payment " in card
    assert "starts at 10%" in card


def _card(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</section>", start)]

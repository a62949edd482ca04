from __future__ import annotations

import pytest
from django.urls import reverse

from openlance.contracts.models import Contract, ContractKind, Offer, OfferState
from openlance.contracts.offers.services import offer_change
from openlance.contracts.tests.factories import contract_fixed, fixed_terms, offer
from openlance.core import clock
from openlance.jobs.models import JobState
from openlance.jobs.tests.factories import job_client, job_post
from openlance.proposals.models import ProposalState
from openlance.proposals.tests.factories import funded_freelancer, proposal

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "kind": "fixed",
        "title": "Build the site",
        "description": "Pages and a form.",
        "start_date": clock.now().date().isoformat(),
        "milestone_1_description": "Design",
        "milestone_1_amount": "150",
        "milestone_1_criteria": "Mockups approved\nPhone layout",
        "milestone_3_description": "Build",
        "milestone_3_amount": "$1,250.50",
        "message": "Welcome!",
    }
    data.update(overrides)
    return data


def test_hire_button_opens_a_prefilled_form_that_sends_the_offer(client):
    pitch = proposal()
    client.force_login(pitch.job.client)
    review = client.get(reverse("proposal_job_list", args=[pitch.job_id])).content.decode()
    assert reverse("offer_new", args=[pitch.pk]) in review
    detail = client.get(reverse("proposal_detail", args=[pitch.pk])).content.decode()
    assert reverse("offer_new", args=[pitch.pk]) in detail
    page = client.get(reverse("offer_new", args=[pitch.pk]))
    assert page.status_code == 200
    assert pitch.job.title in page.content.decode()
    response = client.post(reverse("offer_new", args=[pitch.pk]), _form())
    sent = Offer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("offer_detail", args=[sent.pk])
    shown = client.get(response["Location"]).content.decode()
    name = pitch.freelancer.public_name
    assert name.endswith(".")  # "First L.": the message once read "First L.."
    assert f"Offer sent to {name}" in shown
    assert f"Offer sent to {name}." not in shown
    # The empty second row is skipped; the criteria are one per line.
    assert list(sent.milestones.values_list("position", "amount_cents", "criteria")) == [
        (1, 15_000, ["Mockups approved", "Phone layout"]),
        (2, 125_050, []),
    ]
    pitch.refresh_from_db()
    assert pitch.state == ProposalState.OFFER
    again = client.get(reverse("offer_new", args=[pitch.pk]))
    assert again["Location"] == reverse("offer_detail", args=[sent.pk])


def test_errors_are_shown_in_place_and_nothing_is_sent(client):
    pitch = proposal()
    client.force_login(pitch.job.client)
    response = client.post(
        reverse("offer_new", args=[pitch.pk]),
        _form(milestone_3_amount="4", milestone_1_amount="abc", title=""),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter dollars and cents" in page
    assert "This field is required" in page
    assert Offer.objects.count() == 0
    service_refusal = client.post(
        reverse("offer_new", args=[pitch.pk]), _form(milestone_3_amount="4")
    )
    assert service_refusal.status_code == 422
    assert "at least $5.00" in service_refusal.content.decode()
    assert Offer.objects.count() == 0


def test_hourly_offer_from_the_form(client):
    job = job_post(client=job_client(), budget_type="hourly")
    pitch = proposal(job=job)
    client.force_login(job.client)
    response = client.post(
        reverse("offer_new", args=[pitch.pk]),
        {
            "kind": "hourly",
            "title": "Ongoing",
            "start_date": clock.now().date().isoformat(),
            "hourly_rate": "45",
            "weekly_limit_hours": "20",
            "manual_time_allowed": "on",
            "milestone_1_description": "Ignored for hourly",
            "milestone_1_amount": "100",
        },
    )
    assert response.status_code == 302, response.content.decode()
    sent = Offer.objects.get()
    assert sent.kind == ContractKind.HOURLY
    assert sent.hourly_rate_cents == 4_500
    assert sent.manual_time_allowed is True
    assert sent.milestones.count() == 0


def test_another_clients_proposal_or_offer_is_404(client):
    pitch = proposal()
    pending = offer()
    client.force_login(job_client())
    assert client.get(reverse("offer_new", args=[pitch.pk])).status_code == 404
    assert client.get(reverse("offer_detail", args=[pending.pk])).status_code == 404
    assert client.get(reverse("offer_edit", args=[pending.pk])).status_code == 404
    assert client.post(reverse("offer_withdraw", args=[pending.pk])).status_code == 404
    client.force_login(funded_freelancer())
    assert (
        client.post(reverse("offer_accept", args=[pending.pk]), {"revision": 1}).status_code == 404
    )
    assert client.post(reverse("offer_decline", args=[pending.pk])).status_code == 404
    assert client.get(reverse("offer_detail", args=[99_999_999])).status_code == 404
    pending.refresh_from_db()
    assert pending.state == OfferState.PENDING


def test_freelancer_sees_the_terms_and_accepts(client):
    pending = offer(terms=fixed_terms([20_000, 30_000], criteria=["Works on phones"]))
    client.force_login(pending.freelancer)
    page = client.get(reverse("offer_detail", args=[pending.pk])).content.decode()
    assert "Works on phones" in page
    assert "$500.00" in page
    assert "Accept offer" in page
    proposal_page = client.get(
        reverse("proposal_detail", args=[pending.proposal_id])
    ).content.decode()
    assert reverse("offer_detail", args=[pending.pk]) in proposal_page
    response = client.post(reverse("offer_accept", args=[pending.pk]), {"revision": "1"})
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contract_detail", args=[contract.pk])
    pending.refresh_from_db()
    assert pending.job.state == JobState.CLOSED_HIRED


def test_a_stale_accept_from_the_page_starts_nothing(client):
    pending = offer()
    client.force_login(pending.freelancer)
    offer_change(client=pending.client, offer=pending, terms=fixed_terms([90_000]))
    response = client.post(
        reverse("offer_accept", args=[pending.pk]), {"revision": "1"}, follow=True
    )
    assert "changed this offer" in response.content.decode()
    assert Contract.objects.count() == 0
    bad = client.post(reverse("offer_accept", args=[pending.pk]), {"revision": "x"}, follow=True)
    assert "Reload the offer" in bad.content.decode()
    assert Contract.objects.count() == 0


def test_freelancer_declines_with_a_reason(client):
    pending = offer()
    client.force_login(pending.freelancer)
    client.post(reverse("offer_decline", args=[pending.pk]), {"reason": "Fully booked"})
    pending.refresh_from_db()
    assert pending.state == OfferState.DECLINED
    assert pending.decline_reason == "Fully booked"
    too_long = offer()
    client.force_login(too_long.freelancer)
    response = client.post(
        reverse("offer_decline", args=[too_long.pk]), {"reason": "x" * 1001}, follow=True
    )
    assert response.status_code == 200
    too_long.refresh_from_db()
    assert too_long.state == OfferState.PENDING


def test_client_changes_then_withdraws(client):
    pending = offer()
    client.force_login(pending.client)
    form = client.get(reverse("offer_edit", args=[pending.pk]))
    assert "Build the website" in form.content.decode()
    assert "Pages render on phones" in form.content.decode()
    changed = client.post(reverse("offer_edit", args=[pending.pk]), _form(title="New title"))
    assert changed.status_code == 302
    pending.refresh_from_db()
    assert pending.revision == 2
    assert pending.title == "New title"
    refused = client.post(reverse("offer_edit", args=[pending.pk]), _form(start_date="2000-01-01"))
    assert refused.status_code == 422
    assert "cannot be in the past" in refused.content.decode()
    client.post(reverse("offer_withdraw", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.state == OfferState.WITHDRAWN
    assert pending.revision == 2
    after = client.get(reverse("offer_edit", args=[pending.pk]))
    assert after["Location"] == reverse("offer_detail", args=[pending.pk])
    again = client.post(reverse("offer_withdraw", args=[pending.pk]), follow=True)
    assert "withdrawn" in again.content.decode().lower()


def test_contracts_page_lists_both_roles_with_empty_states(client):
    user = funded_freelancer()
    client.force_login(user)
    empty = client.get(reverse("contracts"))
    assert empty.status_code == 200
    assert "No active contracts" in empty.content.decode()
    assert (
        "No offers waiting" in client.get(reverse("contracts"), {"tab": "offers"}).content.decode()
    )
    contract = contract_fixed([10_000, 5_000], freelancer=user)
    waiting = offer(freelancer=user)
    page = client.get(reverse("contracts")).content.decode()
    assert reverse("contract_detail", args=[contract.pk]) in page
    assert "$150.00" in page
    assert 'href="/contracts/"' in page
    offers_tab = client.get(reverse("contracts"), {"tab": "offers"}).content.decode()
    assert reverse("offer_detail", args=[waiting.pk]) in offers_tab
    assert (
        "No ended contracts" in client.get(reverse("contracts"), {"tab": "ended"}).content.decode()
    )
    assert client.get(reverse("contracts"), {"tab": "nonsense", "page": "x"}).status_code == 200
    client.force_login(contract.client)
    as_client = client.get(reverse("contracts")).content.decode()
    assert "you hired" in as_client


def test_closing_from_the_job_page_never_claims_a_hire(client):
    job = job_post(client=job_client())
    client.force_login(job.client)
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "I hired" not in page
    client.post(reverse("job_close", args=[job.pk]), {"hired": "yes"})
    job.refresh_from_db()
    assert job.state == JobState.CLOSED_NO_HIRE


def test_the_freelancer_can_reply_in_the_interview_conversation(client):
    from openlance.messaging.selectors import conversation_by_topic
    from openlance.proposals.services import proposal_message

    pitch = proposal()
    proposal_message(client=pitch.job.client, proposal=pitch, body="Can you start Monday?")
    pending = offer(proposal=pitch)
    client.force_login(pending.freelancer)
    page = client.get(reverse("offer_detail", args=[pending.pk])).content.decode()
    conversation = conversation_by_topic(topic=pitch.topic)
    assert reverse("conversation_detail", args=[conversation.pk]) in page


def test_add_a_milestone_row_with_htmx_or_without_javascript(client):
    pitch = proposal()
    client.force_login(pitch.job.client)
    page = client.get(reverse("offer_new", args=[pitch.pk])).content.decode()
    assert 'name="milestone_1_description"' in page
    assert 'name="milestone_2_description"' not in page
    assert "?n=2" in page
    row = client.get(reverse("offer_milestone_row"), {"n": "2"}, headers={"HX-Request": "true"})
    fragment = row.content.decode()
    assert 'name="milestone_2_amount"' in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert "?n=3" in fragment
    last = client.get(reverse("offer_milestone_row"), {"n": "20"}).content.decode()
    assert "at most 20 milestones" in last
    for bad in ("1", "21", "x", ""):
        assert client.get(reverse("offer_milestone_row"), {"n": bad}).status_code == 404
    typed = client.post(reverse("offer_new", args=[pitch.pk]), _form(add_row="4"))
    assert typed.status_code == 200
    body = typed.content.decode()
    assert 'name="milestone_4_description"' in body
    assert 'value="Design"' in body
    assert Offer.objects.count() == 0


def test_the_milestone_row_is_the_clients(client):
    client.force_login(funded_freelancer())
    assert client.get(reverse("offer_milestone_row"), {"n": "2"}).status_code == 403


def test_changing_an_offer_keeps_all_its_milestones(client):
    pending = offer(terms=fixed_terms([1_000 * n for n in range(1, 8)]))
    client.force_login(pending.client)
    form = client.get(reverse("offer_edit", args=[pending.pk])).content.decode()
    assert 'name="milestone_7_description"' in form
    assert 'name="milestone_8_description"' not in form


def test_direct_offer_from_the_invite_page(client):
    from openlance.profiles.tests.factories import freelancer_with_profile

    job = job_post(client=job_client(), title="Logo design")
    freelancer = freelancer_with_profile().freelancer.user
    client.force_login(job.client)
    invite = client.get(reverse("invitation_new", args=[freelancer.pk])).content.decode()
    assert reverse("offer_new_direct", args=[freelancer.pk]) in invite
    page = client.get(reverse("offer_new_direct", args=[freelancer.pk]))
    assert page.status_code == 200
    assert "Logo design" in page.content.decode()
    refused = client.post(reverse("offer_new_direct", args=[freelancer.pk]), _form(job="0"))
    assert refused.status_code == 422
    assert Offer.objects.count() == 0
    sent = client.post(reverse("offer_new_direct", args=[freelancer.pk]), _form(job=str(job.pk)))
    assert sent.status_code == 302
    direct = Offer.objects.get()
    assert direct.freelancer == freelancer
    assert direct.job == job
    assert direct.proposal is None
    twice = client.post(reverse("offer_new_direct", args=[freelancer.pk]), _form(job=str(job.pk)))
    assert twice.status_code == 422
    assert "already has a pending offer" in twice.content.decode()
    assert Offer.objects.count() == 1


def test_direct_offer_needs_a_freelancer_and_an_open_post(client):
    from openlance.profiles.tests.factories import freelancer_with_profile

    hirer = job_client()
    client.force_login(hirer)
    freelancer = freelancer_with_profile().freelancer.user
    empty = client.get(reverse("offer_new_direct", args=[freelancer.pk])).content.decode()
    assert "No open job posts" in empty
    assert client.get(reverse("offer_new_direct", args=[hirer.pk])).status_code == 404
    assert client.get(reverse("offer_new_direct", args=[0])).status_code == 404
    assert client.get(reverse("offer_new_direct", args=[2**64])).status_code == 404

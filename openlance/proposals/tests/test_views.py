import re
from dataclasses import replace

import pytest
from django.urls import reverse

from openlance.connects.selectors import connects_balance
from openlance.jobs.models import JobVisibility, ScreeningQuestion
from openlance.jobs.tests.factories import job_post
from openlance.messaging.selectors import conversation_by_topic
from openlance.profiles.tests.factories import client_with_profile
from openlance.proposals import views
from openlance.proposals.limits import PROPOSALS
from openlance.proposals.models import (
    Invitation,
    InvitationState,
    Proposal,
    ProposalAnswer,
    ProposalState,
)
from openlance.proposals.services import proposal_offer_made, proposal_withdraw
from openlance.proposals.tests.factories import funded_freelancer, invitation, proposal

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)


def _form(job, **overrides):
    profile = Proposal._meta.get_field("profile").related_model
    data = {
        "cover_letter": "I have done this before.",
        "bid_type": job.budget_type,
        "bid_amount": "300",
        "duration": "less_than_1_month",
        "milestone_1_description": "Design",
        "milestone_1_amount": "100",
        "milestone_2_description": "Build",
        "milestone_2_amount": "200",
        "expected_cost": "4",
    }
    data.update(overrides)
    data.setdefault("profile", str(profile.objects.filter(is_general=True).last().pk))
    return data


def test_form_shows_cost_balance_and_gig_math_then_sends(client):
    job = job_post()
    user = funded_freelancer()
    _login(client, user)
    client.get(reverse("home"))  # the first page opens the Connects account
    page = client.get(reverse("proposal_new", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "4 Connects" in html
    before = connects_balance(user=user)
    assert f"Your balance: <strong>{before}</strong>" in html
    assert reverse("gig_math_partial") in html
    response = client.post(reverse("proposal_new", args=[job.pk]), _form(job))
    sent = Proposal.objects.get(job=job, freelancer=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("proposal_detail", args=[sent.pk])
    assert [m.amount_cents for m in sent.milestones.all()] == [10_000, 20_000]
    assert connects_balance(user=user) == before - 4
    again = client.get(reverse("proposal_new", args=[job.pk]))
    assert again["Location"] == reverse("proposal_detail", args=[sent.pk])


def test_refusals_show_in_place_and_change_nothing(client):
    job = job_post()
    ScreeningQuestion.objects.create(job=job, position=1, text="Which CMS?")
    user = funded_freelancer()
    _login(client, user)
    client.get(reverse("proposal_new", args=[job.pk]))
    before = connects_balance(user=user)
    response = client.post(
        reverse("proposal_new", args=[job.pk]), _form(job, milestone_2_amount="50", answer_1="WP")
    )
    assert response.status_code == 422
    assert "The milestones add up to" in response.content.decode()
    response = client.post(reverse("proposal_new", args=[job.pk]), _form(job, bid_amount="abc"))
    assert response.status_code == 422
    assert not Proposal.objects.exists()
    assert connects_balance(user=user) == before


def test_a_changed_cost_is_shown_and_the_resent_form_agrees_to_it(client):
    job = job_post()
    user = funded_freelancer()
    _login(client, user)
    client.get(reverse("home"))
    refused = client.post(reverse("proposal_new", args=[job.pk]), _form(job, expected_cost="2"))
    assert refused.status_code == 422
    assert "costs 4 Connects, not 2" in refused.content.decode()
    assert refused.context["form"]["expected_cost"].value() == "4"
    assert not Proposal.objects.exists()
    resent = client.post(reverse("proposal_new", args=[job.pk]), _form(job, expected_cost="4"))
    assert resent.status_code == 302
    assert Proposal.objects.get(job=job, freelancer=user).connects_cost == 4


def test_invite_only_post_is_404_unless_invited(client):
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    user = funded_freelancer(connects=0)
    _login(client, user)
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("proposal_new", args=[job.pk])).status_code == 404
    invited = invitation(job=job, freelancer=user)
    detail = client.get(reverse("job_detail", args=[job.pk]))
    assert detail.status_code == 200
    assert "proposing is free" in detail.content.decode()
    form = client.get(reverse("proposal_new", args=[job.pk])).content.decode()
    assert "Send proposal (free)" in form
    client.post(reverse("proposal_new", args=[job.pk]), _form(job, expected_cost="0"))
    assert Invitation.objects.get(pk=invited.pk).state == InvitationState.ACCEPTED


def test_my_proposals_tabs_detail_and_withdraw(client):
    user = funded_freelancer()
    sent = proposal(freelancer=user)
    _login(client, user)
    listing = client.get(reverse("proposal_list")).content.decode()
    assert sent.job.title in listing
    empty = client.get(reverse("proposal_list"), {"state": "hired"}).content.decode()
    assert "No proposals here" in empty
    detail = client.get(reverse("proposal_detail", args=[sent.pk])).content.decode()
    assert "once they start an interview" in detail
    assert "will see it only in their archive" in detail
    client.post(reverse("proposal_withdraw", args=[sent.pk]))
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.WITHDRAWN
    _login(client, sent.job.client)
    tabs = reverse("proposal_job_list", args=[sent.job_id])
    assert user.public_name not in client.get(tabs).content.decode()
    assert user.public_name in client.get(tabs, {"tab": "archived"}).content.decode()
    _login(client, user)
    other = proposal()
    assert client.get(reverse("proposal_detail", args=[other.pk])).status_code == 404


def test_withdraw_and_decline_are_not_offered_while_an_offer_is_out(client):
    sent = proposal()
    proposal_offer_made(proposal=sent)
    _login(client, sent.freelancer)
    page = client.get(reverse("proposal_detail", args=[sent.pk])).content.decode()
    assert reverse("proposal_withdraw", args=[sent.pk]) not in page
    assert "decline the offer to withdraw" in page
    client.post(reverse("proposal_withdraw", args=[sent.pk]))
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.OFFER
    _login(client, sent.job.client)
    page = client.get(reverse("proposal_detail", args=[sent.pk])).content.decode()
    assert reverse("proposal_decline", args=[sent.pk]) not in page


def test_client_reviews_shortlists_with_htmx_and_messages(client):
    job = job_post(client=client_with_profile(company_name="Acme Ltd").user)
    sent = proposal(job=job)
    _login(client, job.client)
    page = client.get(reverse("proposal_job_list", args=[job.pk]))
    assert sent.freelancer.public_name in page.content.decode()
    came_from = f"http://testserver{reverse('proposal_job_list', args=[job.pk])}?tab=all"
    row = client.post(
        reverse("proposal_shortlist", args=[sent.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": came_from},
    )
    assert row.status_code == 200
    assert "Unshortlist" in row.content.decode()
    assert Proposal.objects.get(pk=sent.pk).shortlisted
    # The tab counts come with the row, out of band: Shortlisted now reads 1.
    tabs = row.content.decode().split('id="proposal-tabs"', 1)[1]
    assert 'hx-swap-oob="true"' in tabs
    assert re.search(r"Shortlisted <span[^>]*>1</span>", tabs)
    assert re.search(r'href="\?tab=all" aria-current="page"', tabs)
    shortlisted = client.get(reverse("proposal_job_list", args=[job.pk]), {"tab": "shortlisted"})
    assert sent.freelancer.public_name in shortlisted.content.decode()
    empty = client.post(reverse("proposal_message", args=[sent.pk]), {"body": ""})
    assert empty.status_code == 422
    assert conversation_by_topic(topic=sent.topic) is None
    response = client.post(reverse("proposal_message", args=[sent.pk]), {"body": "Hello!"})
    conversation = conversation_by_topic(topic=sent.topic)
    assert conversation is not None
    assert response["Location"] == reverse("conversation_detail", args=[conversation.pk])
    client.logout()
    _login(client, sent.freelancer)
    detail = client.get(reverse("proposal_detail", args=[sent.pk])).content.decode()
    assert "Acme Ltd" in detail
    assert reverse("conversation_detail", args=[conversation.pk]) in detail


def test_a_refused_htmx_shortlist_is_shown_in_the_row_and_not_on_a_later_page(client):
    job = job_post(client=client_with_profile().user)
    sent = proposal(job=job)
    proposal_withdraw(freelancer=sent.freelancer, proposal=sent)
    _login(client, job.client)
    row = client.post(reverse("proposal_shortlist", args=[sent.pk]), headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert 'role="alert"' in row.content.decode()
    assert not Proposal.objects.get(pk=sent.pk).shortlisted
    later = client.get(reverse("proposal_job_list", args=[job.pk])).content.decode()
    assert 'class="messages"' not in later


def test_an_htmx_shortlist_leaves_no_message_for_a_later_page(client):
    job = job_post(client=client_with_profile().user)
    sent = proposal(job=job)
    _login(client, job.client)
    row = client.post(reverse("proposal_archive", args=[sent.pk]), headers={"HX-Request": "true"})
    assert 'role="alert"' not in row.content.decode()
    later = client.get(reverse("proposal_job_list", args=[job.pk])).content.decode()
    assert "Archive updated." not in later


def test_a_decline_with_a_bad_reason_is_a_form_error_and_declines_nothing(client):
    sent = proposal()
    _login(client, sent.job.client)
    response = client.post(reverse("proposal_decline", args=[sent.pk]), {"reason": "x" * 1001})
    assert response.status_code == 422
    assert "at most 1000 characters" in response.content.decode()
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.SUBMITTED


def test_other_clients_get_404(client):
    sent = proposal()
    stranger = job_post().client
    _login(client, stranger)
    assert client.get(reverse("proposal_job_list", args=[sent.job_id])).status_code == 404
    assert client.post(reverse("proposal_decline", args=[sent.pk])).status_code == 404
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.SUBMITTED


def test_invite_from_profile_and_decline_with_reason(client):
    job = job_post()
    user = funded_freelancer()
    _login(client, job.client)
    profile_page = client.get(reverse("freelancer_detail", args=[user.pk])).content.decode()
    assert reverse("invitation_new", args=[user.pk]) in profile_page
    response = client.post(
        reverse("invitation_new", args=[user.pk]), {"job": str(job.pk), "message": "Join us"}
    )
    assert response.status_code == 302
    sent = Invitation.objects.get(job=job, freelancer=user)
    again = client.post(
        reverse("invitation_new", args=[user.pk]), {"job": str(job.pk), "message": "Again"}
    )
    assert again.status_code == 422
    assert "already invited" in again.content.decode()
    client.logout()
    _login(client, user)
    assert job.title in client.get(reverse("invitation_list")).content.decode()
    bad = client.post(reverse("invitation_detail", args=[sent.pk]), {"reason": "nope"})
    assert bad.status_code == 422
    client.post(reverse("invitation_detail", args=[sent.pk]), {"reason": "too_busy"})
    assert Invitation.objects.get(pk=sent.pk).state == InvitationState.DECLINED
    profile_page = client.get(reverse("freelancer_detail", args=[user.pk])).content.decode()
    assert "Answers invitations" in profile_page


def test_proposing_too_fast_is_a_429_that_keeps_the_form(client, monkeypatch):
    monkeypatch.setattr(views, "PROPOSALS", replace(PROPOSALS, rate="1/h"))
    user = funded_freelancer()
    first, second = job_post(), job_post()
    _login(client, user)
    client.get(reverse("home"))
    assert client.post(reverse("proposal_new", args=[first.pk]), _form(first)).status_code == 302
    refused = client.post(
        reverse("proposal_new", args=[second.pk]), _form(second, cover_letter="Pick me")
    )
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "sending proposals too quickly" in page
    assert "Pick me" in page
    assert not Proposal.objects.filter(job=second).exists()


def test_a_hired_proposal_is_under_hired_not_archived(client):
    job = job_post(client=client_with_profile().user)
    hired, withdrawn = proposal(job=job), proposal(job=job)
    Proposal.objects.filter(pk=hired.pk).update(state=ProposalState.HIRED)
    proposal_withdraw(freelancer=withdrawn.freelancer, proposal=withdrawn)
    _login(client, job.client)
    url = reverse("proposal_job_list", args=[job.pk])
    under_hired = client.get(url, {"tab": "hired"}).content.decode()
    under_archived = client.get(url, {"tab": "archived"}).content.decode()
    assert hired.freelancer.public_name in under_hired
    assert withdrawn.freelancer.public_name not in under_hired
    assert hired.freelancer.public_name not in under_archived
    assert withdrawn.freelancer.public_name in under_archived
    assert re.search(r"Hired <span[^>]*>1</span>", under_hired)


def test_the_review_card_shows_the_trust_signals_and_the_screening_answers(client):
    job = job_post(client=client_with_profile().user)
    sent = proposal(job=job)
    ProposalAnswer.objects.create(
        proposal=sent, position=1, question="Which CMS?", answer="WordPress, eight years."
    )
    _login(client, job.client)
    page = client.get(reverse("proposal_job_list", args=[job.pk])).content.decode()
    card = page.split(f'id="proposal-{sent.pk}"', 1)[1]
    signals = card.split('data-testid="trust-signals"', 1)[1].split("</p>", 1)[0]
    assert "Location not verified" in signals
    assert "Screening answers (1)" in card
    assert "WordPress, eight years." in card

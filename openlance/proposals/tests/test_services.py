from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsMove, MoveKind
from openlance.connects.selectors import connects_balance
from openlance.connects.services import NotEnoughConnects
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.policies import connects_policy_at, ranking_policy_at
from openlance.core.services import outbox_drain, policy_add
from openlance.core.tests.files import pdf_bytes, png_upload
from openlance.jobs.models import BudgetType, JobPost, JobState, JobVisibility, ScreeningQuestion
from openlance.jobs.services import job_close, job_expiry_run_due, job_remove
from openlance.jobs.tests.factories import job_post
from openlance.messaging.selectors import conversation_by_topic
from openlance.profiles.models import Visibility
from openlance.profiles.tests.factories import specialized_profile
from openlance.proposals import handlers, selectors
from openlance.proposals.models import Invitation, InvitationState, Proposal, ProposalState
from openlance.proposals.quotes import proposal_quote
from openlance.proposals.services import (
    MilestoneDraft,
    invitation_accept,
    invitation_decline,
    invitation_send,
    proposal_archive,
    proposal_decline,
    proposal_hired,
    proposal_message,
    proposal_offer_made,
    proposal_shortlist,
    proposal_submit,
    proposal_withdraw,
)
from openlance.proposals.tests.factories import draft_for, funded_freelancer, invitation, proposal

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


@pytest.fixture(autouse=True)
def _connects_sound():
    yield
    assert connects_violations() == []


def _deliver():
    """Run the outbox as the worker would (tests do not commit, so nothing runs it)."""
    outbox_drain(now=clock.now())


def _spent(user):
    return ConnectsMove.objects.filter(account__user=user, kind=MoveKind.SPEND).count()


def _nothing_sent(job, user, balance):
    assert not Proposal.objects.filter(job=job, freelancer=user).exists()
    assert connects_balance(user=user) == balance
    assert _spent(user) == 0
    assert JobPost.objects.get(pk=job.pk).proposals_count == 0


def test_submit_spends_the_policy_cost_once_and_counts_the_proposal():
    job = job_post()
    user = funded_freelancer()
    cost = proposal_quote(job=job, freelancer=user).cost
    assert cost == 4  # the 2019 preset: a $500 post is below $600
    sent = proposal(job=job, freelancer=user)
    assert sent.state == ProposalState.SUBMITTED
    assert sent.connects_cost == cost
    assert sent.connects_spend is not None
    assert sent.connects_spend.units == -cost
    assert connects_balance(user=user) == 40 - cost
    assert JobPost.objects.get(pk=job.pk).proposals_count == 1
    with pytest.raises(Conflict):
        proposal(job=job, freelancer=user)
    assert connects_balance(user=user) == 40 - cost
    assert Proposal.objects.filter(job=job).count() == 1
    assert JobPost.objects.get(pk=job.pk).proposals_count == 1


def test_milestones_must_add_up_to_the_bid_and_each_meet_the_minimum():
    job = job_post(budget_cents=30_000)
    user = funded_freelancer()
    with pytest.raises(InvalidInput) as error:
        proposal(
            job=job,
            freelancer=user,
            milestones=[MilestoneDraft("Design", 10_000), MilestoneDraft("Build", 10_000)],
        )
    assert "milestones" in error.value.field_errors
    with pytest.raises(InvalidInput):
        proposal(
            job=job,
            freelancer=user,
            milestones=[MilestoneDraft("Design", 400), MilestoneDraft("Build", 29_600)],
        )
    _nothing_sent(job, user, 40)
    sent = proposal(
        job=job,
        freelancer=user,
        milestones=[
            MilestoneDraft("Design", 10_000, clock.now().date() + timedelta(days=7)),
            MilestoneDraft("Build", 20_000),
        ],
    )
    assert [m.amount_cents for m in sent.milestones.all()] == [10_000, 20_000]


@pytest.mark.parametrize(
    ("budget_type", "bid", "field"),
    [("fixed", 499, "bid_amount"), ("hourly", 299, "hourly_rate")],
)
def test_minimum_bids(budget_type, bid, field):
    job = job_post(budget_type=budget_type)
    user = funded_freelancer()
    draft = draft_for(job)
    if budget_type == BudgetType.FIXED:
        draft.bid_cents = bid
    else:
        draft.hourly_rate_cents = bid
    with pytest.raises(InvalidInput) as error:
        proposal_submit(freelancer=user, job=job, draft=draft)
    assert field in error.value.field_errors
    _nothing_sent(job, user, 40)


def test_bid_type_must_match_the_post():
    job = job_post(budget_type=BudgetType.HOURLY)
    user = funded_freelancer()
    draft = draft_for(job)
    draft.bid_type, draft.bid_cents, draft.hourly_rate_cents = "fixed", 5_000, None
    with pytest.raises(InvalidInput) as error:
        proposal_submit(freelancer=user, job=job, draft=draft)
    assert "bid_type" in error.value.field_errors
    _nothing_sent(job, user, 40)


def test_every_screening_question_needs_an_answer():
    job = job_post()
    ScreeningQuestion.objects.create(job=job, position=1, text="Which CMS?")
    ScreeningQuestion.objects.create(job=job, position=2, text="When can you start?")
    user = funded_freelancer()
    for answers in ([], ["WordPress"], ["WordPress", "  "]):
        with pytest.raises(InvalidInput) as error:
            proposal(job=job, freelancer=user, answers=answers)
        assert "answers" in error.value.field_errors
    _nothing_sent(job, user, 40)
    sent = proposal(job=job, freelancer=user, answers=["WordPress", "Monday"])
    assert [(a.question, a.answer) for a in sent.answers.all()] == [
        ("Which CMS?", "WordPress"),
        ("When can you start?", "Monday"),
    ]


def test_country_restricted_posts_take_only_verified_freelancers_there():
    job = job_post(countries=["US"])
    unverified = funded_freelancer(country="US")
    elsewhere = funded_freelancer(verified_country="CA")
    for user in (unverified, elsewhere):
        with pytest.raises(Conflict):
            proposal(job=job, freelancer=user)
        _nothing_sent(job, user, 40)
    assert proposal(job=job, freelancer=funded_freelancer(verified_country="US")).pk


def test_refusals_write_nothing():
    user = funded_freelancer()
    closed = job_post(state=JobState.CLOSED_NO_HIRE)
    with pytest.raises(InvalidTransition):
        proposal(job=closed, freelancer=user)
    invite_only = job_post(visibility=JobVisibility.INVITE_ONLY)
    with pytest.raises(NotFound):
        proposal(job=invite_only, freelancer=user)
    own = job_post(client=user)
    user.is_client = True
    with pytest.raises(NotFound):
        proposal(job=own, freelancer=user)
    for job in (closed, invite_only, own):
        _nothing_sent(job, user, 40)


def test_profile_must_be_the_freelancers_own_and_not_private():
    job = job_post()
    user = funded_freelancer()
    other = funded_freelancer()
    with pytest.raises(InvalidInput) as error:
        proposal(job=job, freelancer=user, profile_id=other.freelancer.profiles.get().pk)
    assert "profile" in error.value.field_errors
    private = funded_freelancer(visibility=Visibility.PRIVATE)
    with pytest.raises(InvalidInput):
        proposal(job=job, freelancer=private)
    _nothing_sent(job, user, 40)
    special = specialized_profile(user.freelancer, title="WordPress expert")
    assert proposal(job=job, freelancer=user, profile_id=special.pk).profile == special


def test_not_enough_connects_sends_nothing():
    job = job_post()
    user = funded_freelancer(connects=1)
    with pytest.raises(NotEnoughConnects):
        proposal(job=job, freelancer=user)
    _nothing_sent(job, user, 1)


def test_a_changed_cost_is_refused_before_paying():
    job = job_post()
    user = funded_freelancer()
    draft = draft_for(job)
    draft.expected_cost = 2
    with pytest.raises(Conflict):
        proposal_submit(freelancer=user, job=job, draft=draft)
    _nothing_sent(job, user, 40)


def test_attachments_are_checked_by_content():
    job = job_post()
    user = funded_freelancer()
    fake = SimpleUploadedFile("cv.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(InvalidInput):
        proposal_submit(freelancer=user, job=job, draft=draft_for(job), attachments=[fake])
    _nothing_sent(job, user, 40)
    good = SimpleUploadedFile("cv.pdf", PDF, content_type="application/pdf")
    image = png_upload("mock.gif")
    sent = proposal_submit(
        freelancer=user, job=job, draft=draft_for(job), attachments=[good, image]
    )
    assert [(a.name, a.content_type) for a in sent.attachments.all()] == [
        ("cv.pdf", "application/pdf"),
        ("mock.jpg", "image/jpeg"),
    ]


def test_withdrawal_never_refunds_even_when_the_post_closes_without_hire():
    job = job_post()
    user = funded_freelancer()
    sent = proposal(job=job, freelancer=user)
    proposal_withdraw(freelancer=user, proposal=sent)
    assert connects_balance(user=user) == 36
    with pytest.raises(InvalidTransition):
        proposal_withdraw(freelancer=user, proposal=Proposal.objects.get(pk=sent.pk))
    job_close(job=job, hired=False)
    _deliver()
    assert connects_balance(user=user) == 36
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.WITHDRAWN


def test_closing_without_hire_refunds_every_spend_once_and_lapses_invitations():
    job = job_post()
    users = [funded_freelancer() for _ in range(2)]
    sent = [proposal(job=job, freelancer=u) for u in users]
    proposal_decline(client=job.client, proposal=sent[1], reason="")
    invited = invitation(job=job)
    job_close(job=job, hired=False)
    _deliver()
    for user in users:
        assert connects_balance(user=user) == 40
    assert Proposal.objects.get(pk=sent[0].pk).state == ProposalState.JOB_CLOSED
    assert Proposal.objects.get(pk=sent[1].pk).state == ProposalState.DECLINED
    assert Invitation.objects.get(pk=invited.pk).state == InvitationState.JOB_CLOSED
    # Delivered twice (a retried outbox event): still one refund each.
    assert handlers.proposals_job_closed(job=JobPost.objects.get(pk=job.pk), refund=True) == 0
    assert ConnectsMove.objects.filter(kind=MoveKind.REFUND).count() == 2


def test_removal_refunds_even_after_a_hire(django_user_model):
    job = job_post()
    user = funded_freelancer()
    sent = proposal(job=job, freelancer=user)
    job_close(job=job, hired=True)
    _deliver()
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.ARCHIVED
    assert connects_balance(user=user) == 36
    staff = django_user_model.objects.create_user(email="staff@example.com", is_staff=True)
    job_remove(job=JobPost.objects.get(pk=job.pk), staff=staff, reason="Spam")
    _deliver()
    assert connects_balance(user=user) == 40


def _hire(sent):
    proposal_offer_made(proposal=Proposal.objects.get(pk=sent.pk))
    proposal_hired(proposal=Proposal.objects.get(pk=sent.pk))


@pytest.mark.parametrize("ending", ["closed_no_hire", "expired"])
def test_a_post_kept_open_after_a_hire_refunds_nobody_when_it_ends(ending):
    job = job_post()
    hired_user, other_user = funded_freelancer(), funded_freelancer()
    hired = proposal(job=job, freelancer=hired_user)
    other = proposal(job=job, freelancer=other_user)
    _hire(hired)
    if ending == "closed_no_hire":
        job_close(job=JobPost.objects.get(pk=job.pk), hired=False)
    else:
        job_expiry_run_due(now=clock.now() + timedelta(days=31))
    _deliver()
    assert JobPost.objects.get(pk=job.pk).state == ending
    assert connects_balance(user=hired_user) == 36
    assert connects_balance(user=other_user) == 36
    assert Proposal.objects.get(pk=hired.pk).state == ProposalState.HIRED
    assert Proposal.objects.get(pk=other.pk).state == ProposalState.ARCHIVED


def test_removal_after_a_hire_refunds_everyone_but_the_hired(django_user_model):
    job = job_post()
    hired_user, other_user = funded_freelancer(), funded_freelancer()
    _hire(proposal(job=job, freelancer=hired_user))
    proposal(job=job, freelancer=other_user)
    staff = django_user_model.objects.create_user(email="staff@example.com", is_staff=True)
    job_remove(job=JobPost.objects.get(pk=job.pk), staff=staff, reason="Spam")
    _deliver()
    assert connects_balance(user=hired_user) == 36
    assert connects_balance(user=other_user) == 40


def test_expiry_refunds_when_the_policy_says_so(monkeypatch):
    job = job_post()
    user = funded_freelancer()
    sent = proposal(job=job, freelancer=user)
    job_expiry_run_due(now=clock.now() + timedelta(days=31))
    _deliver()
    assert connects_balance(user=user) == 40
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.JOB_CLOSED

    other_job = job_post()
    other = funded_freelancer()
    kept = proposal(job=other_job, freelancer=other)
    switched_off = connects_policy_at(clock.now()).model_copy(
        update={"refund_on_expiry_without_hire": False}
    )
    monkeypatch.setattr(handlers, "connects_policy_at", lambda when: switched_off)
    job_expiry_run_due(now=clock.now() + timedelta(days=31))
    _deliver()
    assert connects_balance(user=other) == 36
    assert Proposal.objects.get(pk=kept.pk).state == ProposalState.JOB_CLOSED


def test_a_proposal_with_an_offer_out_is_neither_withdrawn_nor_declined():
    sent = proposal()
    proposal_offer_made(proposal=Proposal.objects.get(pk=sent.pk))
    with pytest.raises(InvalidTransition, match="decline the offer first"):
        proposal_withdraw(freelancer=sent.freelancer, proposal=Proposal.objects.get(pk=sent.pk))
    with pytest.raises(InvalidTransition, match="withdraw the offer first"):
        proposal_decline(client=sent.job.client, proposal=Proposal.objects.get(pk=sent.pk))
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.OFFER


def test_expiry_refund_follows_the_policy_in_force_when_the_post_expired(monkeypatch):
    job = job_post()
    user = funded_freelancer()
    proposal(job=job, freelancer=user)
    job_expiry_run_due(now=clock.now() + timedelta(days=31))
    expired_at = JobPost.objects.get(pk=job.pk).closed_at
    refunding = connects_policy_at(expired_at)
    switched_off = refunding.model_copy(update={"refund_on_expiry_without_hire": False})
    monkeypatch.setattr(
        handlers,
        "connects_policy_at",
        lambda when: refunding if when <= expired_at else switched_off,
    )
    with clock.frozen_at(expired_at + timedelta(hours=1)):
        _deliver()
    assert connects_balance(user=user) == 40


def test_a_state_change_keeps_flags_set_since_the_proposal_was_read():
    sent = proposal()
    stale = Proposal.objects.get(pk=sent.pk)
    proposal_shortlist(client=sent.job.client, proposal=Proposal.objects.get(pk=sent.pk))
    proposal_withdraw(freelancer=sent.freelancer, proposal=stale)
    fresh = Proposal.objects.get(pk=sent.pk)
    assert fresh.state == ProposalState.WITHDRAWN
    assert fresh.shortlisted


def test_client_actions_toggle_and_decline_is_final():
    sent = proposal()
    client = sent.job.client
    stranger = funded_freelancer()
    with pytest.raises(NotFound):
        proposal_shortlist(client=stranger, proposal=sent)
    assert not Proposal.objects.get(pk=sent.pk).shortlisted
    assert proposal_shortlist(client=client, proposal=sent).shortlisted
    assert not proposal_shortlist(client=client, proposal=sent).shortlisted
    assert proposal_archive(client=client, proposal=sent).archived
    declined = proposal_decline(client=client, proposal=sent, reason="Budget")
    assert declined.state == ProposalState.DECLINED
    assert declined.decline_reason == "Budget"
    with pytest.raises(InvalidTransition):
        proposal_shortlist(client=client, proposal=declined)
    with pytest.raises(InvalidTransition):
        proposal_decline(client=client, proposal=declined)


def test_first_client_message_opens_the_interview():
    sent = proposal()
    client = sent.job.client
    JobPost.objects.filter(pk=sent.job_id).update(
        last_client_activity_at=clock.now() - timedelta(days=20)
    )
    with pytest.raises(NotFound):
        proposal_message(client=sent.freelancer, proposal=sent, body="Hi")
    assert conversation_by_topic(topic=sent.topic) is None
    message = proposal_message(client=client, proposal=sent, body="Can we talk?")
    fresh = Proposal.objects.get(pk=sent.pk)
    assert fresh.state == ProposalState.ACTIVE
    assert fresh.interview_started_at is not None
    conversation = conversation_by_topic(topic=sent.topic)
    assert conversation is not None
    assert message.conversation_id == conversation.pk
    touched = JobPost.objects.get(pk=sent.job_id).last_client_activity_at
    assert touched > clock.now() - timedelta(minutes=1)
    proposal_message(client=client, proposal=fresh, body="Still there?")
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.ACTIVE


def test_invited_reply_is_free_and_accepts_the_invitation():
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    user = funded_freelancer(connects=0)
    invited = invitation(job=job, freelancer=user)
    assert selectors.invitation_for(job=job, freelancer=user) == invited
    assert proposal_quote(job=job, freelancer=user).cost == 0
    sent = invitation_accept(freelancer=user, invitation=invited, draft=draft_for(job))
    assert sent.connects_cost == 0
    assert sent.connects_spend is None
    assert sent.invitation == invited
    fresh = Invitation.objects.get(pk=invited.pk)
    assert fresh.state == InvitationState.ACCEPTED
    assert fresh.responded_at is not None
    assert ConnectsMove.objects.filter(account__user=user).count() == 0
    with pytest.raises(InvalidTransition):
        invitation_decline(freelancer=user, invitation=fresh, reason="too_busy")


def test_invitation_rules():
    job = job_post()
    user = funded_freelancer()
    with pytest.raises(NotFound):
        invitation_send(client=funded_freelancer(), job=job, freelancer=user, message="Hi")
    with pytest.raises(InvalidInput):
        invitation_send(client=job.client, job=job, freelancer=user, message="  ")
    private = funded_freelancer(visibility=Visibility.PRIVATE)
    with pytest.raises(Conflict):
        invitation_send(client=job.client, job=job, freelancer=private, message="Hi")
    closed = job_post(client=job.client, state=JobState.EXPIRED)
    with pytest.raises(InvalidTransition):
        invitation_send(client=job.client, job=closed, freelancer=user, message="Hi")
    assert Invitation.objects.count() == 0
    invitation_send(client=job.client, job=job, freelancer=user, message="Hi")
    with pytest.raises(Conflict):
        invitation_send(client=job.client, job=job, freelancer=user, message="Again")
    proposed = funded_freelancer()
    proposal(job=job, freelancer=proposed)
    with pytest.raises(Conflict):
        invitation_send(client=job.client, job=job, freelancer=proposed, message="Hi")
    assert Invitation.objects.count() == 1


def test_decline_needs_a_reason_and_response_time_is_the_median():
    user = funded_freelancer()
    first, second, third = (invitation(freelancer=user) for _ in range(3))
    with pytest.raises(InvalidInput):
        invitation_decline(freelancer=user, invitation=first, reason="")
    assert Invitation.objects.get(pk=first.pk).state == InvitationState.PENDING
    assert selectors.invitation_response_time(freelancer=user) is None
    start = clock.now()
    for invited, hours in ((first, 1), (second, 2), (third, 50)):
        with clock.frozen_at(start + timedelta(hours=hours)):
            invitation_decline(freelancer=user, invitation=invited, reason="too_busy")
    assert selectors.invitation_response_time(freelancer=user) == timedelta(hours=2)


def test_hire_rate_counts_hired_proposals():
    user = funded_freelancer()
    proposal(freelancer=user)
    hired = proposal(freelancer=user)
    Proposal.objects.filter(pk=hired.pk).update(state=ProposalState.HIRED)
    assert selectors.proposal_hire_rate(freelancer=user) == (1, 2)


def test_client_tabs_order_by_quality_then_skills_then_time():
    job = job_post(skills=["Python", "Django"])
    newcomer = proposal(job=job, freelancer=funded_freelancer())
    strong = proposal(job=job, freelancer=funded_freelancer(jss_percent=100))
    weak = proposal(job=job, freelancer=funded_freelancer(jss_percent=20))
    skilled = proposal(
        job=job, freelancer=funded_freelancer(jss_percent=100, skills=["Python", "Django"])
    )
    ordered = list(selectors.proposals_for_job(job=job, tab="all"))
    assert ordered == [skilled, strong, newcomer, weak]
    proposal_shortlist(client=job.client, proposal=weak)
    proposal_archive(client=job.client, proposal=strong)
    assert list(selectors.proposals_for_job(job=job, tab="shortlisted")) == [weak]
    assert list(selectors.proposals_for_job(job=job, tab="archived")) == [strong]
    assert selectors.proposal_tab_counts(job=job) == {
        "all": 3,
        "shortlisted": 1,
        "messaged": 0,
        "hired": 0,
        "archived": 1,
    }
    with pytest.raises(NotFound):
        selectors.proposals_for_job(job=job, tab="nope")


def test_best_match_follows_the_ranking_policy_in_force():
    job = job_post()
    newcomer = proposal(job=job, freelancer=funded_freelancer())
    scored = proposal(job=job, freelancer=funded_freelancer(jss_percent=60))
    # Default policy: no score counts 0.8, JSS 60 counts 0.6 + 0.4 x 0.6 = 0.84.
    assert list(selectors.proposals_for_job(job=job)) == [scored, newcomer]
    params = ranking_policy_at(clock.now()).model_dump(mode="json")
    policy_add(
        kind="ranking",
        label="newcomers first",
        effective_from=clock.now() + timedelta(days=1),
        params={**params, "quality_without_score": "0.9"},
    )
    assert list(selectors.proposals_for_job(job=job)) == [scored, newcomer]
    with clock.frozen_at(clock.now() + timedelta(days=1)):
        assert list(selectors.proposals_for_job(job=job)) == [newcomer, scored]

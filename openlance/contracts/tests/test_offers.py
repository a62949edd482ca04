from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail

from openlance.contracts.models import (
    AcceptanceCriterion,
    Contract,
    ContractKind,
    Milestone,
    MilestoneState,
    Offer,
    OfferMilestone,
    OfferState,
)
from openlance.contracts.offers import services
from openlance.contracts.offers.services import MilestoneTerms
from openlance.contracts.tests.factories import (
    contract_fixed,
    contract_hourly,
    fixed_terms,
    hourly_terms,
    offer,
)
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.models import OutboxEvent
from openlance.core.policies import policy_version_at
from openlance.core.services import outbox_drain
from openlance.jobs.models import JobState
from openlance.jobs.services import job_close
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.proposals.models import Proposal, ProposalState
from openlance.proposals.tests.factories import funded_freelancer, proposal

pytestmark = pytest.mark.django_db


def fresh(obj):
    obj.refresh_from_db()
    return obj


def snapshot(pending: Offer) -> tuple:
    pending = fresh(pending)
    return (
        pending.state,
        pending.revision,
        pending.title,
        list(pending.milestones.values_list("description", "amount_cents", "criteria")),
        Contract.objects.count(),
    )


# Sending


def test_send_from_a_proposal_moves_it_to_offer_and_emails_the_freelancer():
    pitch = proposal()
    sent = services.offer_send(
        client=pitch.job.client, terms=fixed_terms([20_000, 30_000]), proposal=pitch
    )
    assert sent.state == OfferState.PENDING
    assert sent.revision == 1
    assert sent.expires_at == sent.sent_at + timedelta(days=30)
    assert [(m.position, m.amount_cents) for m in sent.milestones.all()] == [
        (1, 20_000),
        (2, 30_000),
    ]
    assert sent.milestones.first().criteria == [
        "Pages render on phones",
        "Contact form sends email",
    ]
    assert fresh(pitch).state == ProposalState.OFFER
    assert OutboxEvent.objects.filter(kind="offer.sent", payload__offer_id=sent.pk).exists()
    outbox_drain(now=clock.now())
    assert [m.to for m in mail.outbox if "You have an offer" in m.subject] == [
        [pitch.freelancer.email]
    ]


def test_direct_offer_to_a_freelancer_without_a_proposal():
    job = job_post(client=job_client())
    freelancer = freelancer_with_profile().freelancer.user
    sent = services.offer_send(
        client=job.client, terms=hourly_terms(), job=job, freelancer=freelancer
    )
    assert sent.proposal is None
    assert sent.kind == ContractKind.HOURLY
    assert sent.hourly_rate_cents == 4_000
    assert sent.weekly_limit_hours == 20
    assert sent.manual_time_allowed is True
    assert sent.milestones.count() == 0


def test_direct_offer_links_the_freelancers_live_proposal():
    pitch = proposal()
    sent = services.offer_send(
        client=pitch.job.client, terms=fixed_terms(), job=pitch.job, freelancer=pitch.freelancer
    )
    assert sent.proposal_id == pitch.pk
    assert fresh(pitch).state == ProposalState.OFFER


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"start_date": None}, "start_date"),
        ({"start_date": clock.now().date() - timedelta(days=1)}, "start_date"),
        ({"milestones": []}, "milestones"),
        ({"milestones": [MilestoneTerms("Too cheap", 499)]}, "milestones.0.amount"),
        ({"milestones": [MilestoneTerms("No amount", None)]}, "milestones.0.amount"),
        ({"milestones": [MilestoneTerms(" ", 500)]}, "milestones.0.description"),
        (
            {"milestones": [MilestoneTerms("Many", 500, criteria=["c"] * 11)]},
            "milestones.0.criteria",
        ),
        (
            {"milestones": [MilestoneTerms("Long", 500, criteria=["c" * 301])]},
            "milestones.0.criteria",
        ),
        ({"milestones": [MilestoneTerms(f"M{n}", 500) for n in range(21)]}, "milestones"),
        (
            {
                "milestones": [
                    MilestoneTerms("Early", 500, due_date=clock.now().date() - timedelta(days=3))
                ]
            },
            "milestones.0.due_date",
        ),
        ({"hourly_rate_cents": 4_000}, "hourly_rate"),
        ({"kind": "weekly"}, "kind"),
    ],
)
def test_invalid_fixed_terms_are_refused_and_nothing_changes(change, field):
    pitch = proposal()
    with pytest.raises(InvalidInput) as refused:
        services.offer_send(
            client=pitch.job.client, terms=replace(fixed_terms(), **change), proposal=pitch
        )
    assert field in refused.value.field_errors
    assert Offer.objects.count() == 0
    assert fresh(pitch).state == ProposalState.SUBMITTED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourly_rate_cents": 299}, "hourly_rate"),
        ({"hourly_rate_cents": None}, "hourly_rate"),
        ({"weekly_limit_hours": 0}, "weekly_limit_hours"),
        ({"weekly_limit_hours": 169}, "weekly_limit_hours"),
        ({"milestones": [MilestoneTerms("Extra", 500)]}, "milestones"),
    ],
)
def test_invalid_hourly_terms_are_refused(change, field):
    pitch = proposal()
    with pytest.raises(InvalidInput) as refused:
        services.offer_send(
            client=pitch.job.client, terms=replace(hourly_terms(), **change), proposal=pitch
        )
    assert field in refused.value.field_errors
    assert Offer.objects.count() == 0


def test_minimums_are_accepted():
    pitch = proposal()
    sent = services.offer_send(client=pitch.job.client, terms=fixed_terms([500]), proposal=pitch)
    assert sent.milestones.get().amount_cents == 500
    direct = services.offer_send(
        client=pitch.job.client,
        terms=hourly_terms(rate_cents=300, weekly_limit_hours=168),
        job=pitch.job,
        freelancer=freelancer_with_profile().freelancer.user,
    )
    assert direct.hourly_rate_cents == 300


def test_someone_elses_proposal_or_post_is_not_found():
    pitch = proposal()
    stranger = job_client()
    with pytest.raises(NotFound):
        services.offer_send(client=stranger, terms=fixed_terms(), proposal=pitch)
    with pytest.raises(NotFound):
        services.offer_send(
            client=stranger, terms=fixed_terms(), job=pitch.job, freelancer=pitch.freelancer
        )
    assert Offer.objects.count() == 0
    assert fresh(pitch).state == ProposalState.SUBMITTED


def test_a_user_without_a_freelancer_profile_gets_no_offer():
    job = job_post(client=job_client())
    with pytest.raises(NotFound):
        services.offer_send(
            client=job.client, terms=fixed_terms(), job=job, freelancer=job_client()
        )
    with pytest.raises(NotFound):
        services.offer_send(client=job.client, terms=fixed_terms(), job=job, freelancer=job.client)
    assert Offer.objects.count() == 0


def test_one_pending_offer_per_freelancer_and_post():
    first = offer()
    with pytest.raises(Conflict):
        services.offer_send(
            client=first.client, terms=fixed_terms(), job=first.job, freelancer=first.freelancer
        )
    assert Offer.objects.count() == 1


def test_offers_go_out_on_open_posts_only():
    pitch = proposal()
    job_close(job=pitch.job, hired=False)
    with pytest.raises(InvalidTransition):
        services.offer_send(
            client=pitch.job.client,
            terms=fixed_terms(),
            job=fresh(pitch.job),
            freelancer=freelancer_with_profile().freelancer.user,
        )
    assert Offer.objects.count() == 0


def test_a_declined_proposal_gets_no_offer():
    from openlance.proposals.services import proposal_decline

    pitch = proposal()
    proposal_decline(client=pitch.job.client, proposal=pitch)
    with pytest.raises(InvalidTransition):
        services.offer_send(client=pitch.job.client, terms=fixed_terms(), proposal=fresh(pitch))
    assert Offer.objects.count() == 0


# Changing, withdrawing, declining


def test_change_bumps_the_revision_and_replaces_the_terms():
    pending = offer()
    changed = services.offer_change(
        client=pending.client, offer=pending, terms=fixed_terms([10_000, 15_000], title="Smaller")
    )
    assert changed.revision == 2
    assert changed.title == "Smaller"
    assert list(changed.milestones.values_list("amount_cents", flat=True)) == [10_000, 15_000]
    assert OfferMilestone.objects.filter(offer=pending).count() == 2
    assert OutboxEvent.objects.filter(kind="offer.changed", payload__revision=2).exists()


def test_change_may_switch_to_hourly():
    pending = offer()
    changed = services.offer_change(client=pending.client, offer=pending, terms=hourly_terms())
    assert changed.kind == ContractKind.HOURLY
    assert changed.milestones.count() == 0


def test_only_the_client_changes_and_only_while_pending():
    pending = offer()
    before = snapshot(pending)
    with pytest.raises(NotFound):
        services.offer_change(client=pending.freelancer, offer=pending, terms=fixed_terms([900]))
    with pytest.raises(InvalidInput):
        services.offer_change(client=pending.client, offer=pending, terms=fixed_terms([100]))
    assert snapshot(pending) == before
    services.offer_withdraw(client=pending.client, offer=pending)
    with pytest.raises(InvalidTransition):
        services.offer_change(client=pending.client, offer=fresh(pending), terms=fixed_terms([900]))
    assert fresh(pending).revision == 1


def test_withdraw_puts_the_proposal_back_in_play():
    pending = offer()
    services.offer_withdraw(client=pending.client, offer=pending)
    pending = fresh(pending)
    assert pending.state == OfferState.WITHDRAWN
    assert pending.responded_at is not None
    assert pending.proposal.state == ProposalState.ACTIVE
    with pytest.raises(InvalidTransition):
        services.offer_withdraw(client=pending.client, offer=pending)


def test_withdrawal_and_expiry_are_emailed_to_the_freelancer():
    start = clock.now()
    with clock.frozen_at(start):
        withdrawn = offer()
        lapsed = offer()
        services.offer_withdraw(client=withdrawn.client, offer=withdrawn)
    services.offer_expiry_run_due(now=start + timedelta(days=30))
    outbox_drain(now=start + timedelta(days=30))
    subjects = {m.to[0]: m.subject for m in mail.outbox if "An offer" in m.subject}
    assert "withdrawn" in subjects[withdrawn.freelancer.email]
    assert "expired" in subjects[lapsed.freelancer.email]


def test_only_the_client_withdraws():
    pending = offer()
    with pytest.raises(NotFound):
        services.offer_withdraw(client=pending.freelancer, offer=pending)
    assert fresh(pending).state == OfferState.PENDING


def test_decline_with_a_reason_emails_the_client():
    pending = offer()
    services.offer_decline(freelancer=pending.freelancer, offer=pending, reason=" Too busy ")
    pending = fresh(pending)
    assert pending.state == OfferState.DECLINED
    assert pending.decline_reason == "Too busy"
    assert pending.proposal.state == ProposalState.ACTIVE
    outbox_drain(now=clock.now())
    declined = [m for m in mail.outbox if "declined" in m.subject]
    assert declined[0].to == [pending.client.email]
    assert "Too busy" in declined[0].body


def test_decline_is_the_freelancers_and_the_reason_has_a_limit():
    pending = offer()
    with pytest.raises(NotFound):
        services.offer_decline(freelancer=pending.client, offer=pending)
    with pytest.raises(NotFound):
        services.offer_decline(freelancer=funded_freelancer(), offer=pending)
    with pytest.raises(InvalidInput):
        services.offer_decline(freelancer=pending.freelancer, offer=pending, reason="x" * 1001)
    assert fresh(pending).state == OfferState.PENDING
    assert fresh(pending).proposal.state == ProposalState.OFFER


# Accepting


def test_accept_starts_exactly_one_contract_and_closes_the_post():
    pending = offer(terms=fixed_terms([20_000, 30_000], criteria=["Works", "Tested"]))
    contract = services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
    assert Contract.objects.count() == 1
    assert contract.kind == ContractKind.FIXED
    assert contract.client_id == pending.client_id
    assert contract.freelancer_id == pending.freelancer_id
    assert contract.title == pending.title
    assert contract.fee_policy == policy_version_at("fees", clock.now())
    milestones = list(contract.milestones.order_by("position"))
    assert [(m.amount_cents, m.state) for m in milestones] == [
        (20_000, MilestoneState.NOT_FUNDED),
        (30_000, MilestoneState.NOT_FUNDED),
    ]
    assert list(milestones[0].criteria.values_list("position", "text")) == [
        (1, "Works"),
        (2, "Tested"),
    ]
    pending = fresh(pending)
    assert pending.state == OfferState.ACCEPTED
    assert pending.proposal.state == ProposalState.HIRED
    assert fresh(pending.job).state == JobState.CLOSED_HIRED
    assert OutboxEvent.objects.filter(
        kind="contract.started", payload__contract_id=contract.pk
    ).exists()
    with pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
    assert Contract.objects.count() == 1


def test_keep_post_open_leaves_the_post_and_other_offers_alone():
    job = job_post(client=job_client())
    first = offer(job=job, terms=fixed_terms(keep_post_open=True))
    second = offer(job=job)
    services.offer_accept(freelancer=first.freelancer, offer=first, revision=1)
    assert fresh(job).state == JobState.OPEN
    assert fresh(second).state == OfferState.PENDING
    assert fresh(second).proposal.state == ProposalState.OFFER
    services.offer_accept(freelancer=second.freelancer, offer=second, revision=1)
    assert fresh(job).state == JobState.CLOSED_HIRED
    assert Contract.objects.filter(job=job).count() == 2


def test_a_post_kept_open_after_a_hire_counts_it_and_later_closes_as_hired():
    job = job_post(client=job_client())
    kept = offer(job=job, terms=fixed_terms(keep_post_open=True))
    services.offer_accept(freelancer=kept.freelancer, offer=kept, revision=1)
    assert fresh(job).hires_count == 1
    job_close(job=fresh(job), hired=False)
    assert fresh(job).state == JobState.CLOSED_HIRED


def test_a_hire_that_closes_the_post_withdraws_the_other_pending_offers():
    job = job_post(client=job_client())
    first = offer(job=job)
    second = offer(job=job)
    direct = offer(job=job, direct=True)
    services.offer_accept(freelancer=first.freelancer, offer=first, revision=1)
    # Before the post's closing is handled, the other offers cannot start a contract.
    with pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=direct.freelancer, offer=fresh(direct), revision=1)
    outbox_drain(now=clock.now())
    assert fresh(job).state == JobState.CLOSED_HIRED
    assert fresh(second).state == OfferState.WITHDRAWN
    assert fresh(second).proposal.state == ProposalState.ARCHIVED
    assert fresh(direct).state == OfferState.WITHDRAWN
    with pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=second.freelancer, offer=fresh(second), revision=1)
    assert Contract.objects.filter(job=job).count() == 1
    assert services.offers_job_closed(job=job) == 0


def test_an_offer_whose_proposal_left_the_offer_state_is_not_accepted():
    pending = offer()
    Proposal.objects.filter(pk=pending.proposal_id).update(state=ProposalState.WITHDRAWN)
    with pytest.raises(Conflict):
        services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
    assert Contract.objects.count() == 0
    assert fresh(pending).state == OfferState.PENDING
    assert fresh(pending.job).state == JobState.OPEN


def test_a_deactivated_freelancer_gets_no_offer():
    freelancer = freelancer_with_profile().freelancer.user
    freelancer.is_active = False
    freelancer.save(update_fields=["is_active"])
    job = job_post(client=job_client())
    with pytest.raises(NotFound):
        services.offer_send(client=job.client, terms=fixed_terms(), job=job, freelancer=freelancer)
    assert Offer.objects.count() == 0


def test_a_stale_revision_is_a_conflict_and_nothing_starts():
    pending = offer()
    services.offer_change(client=pending.client, offer=pending, terms=fixed_terms([70_000]))
    with pytest.raises(Conflict):
        services.offer_accept(freelancer=pending.freelancer, offer=fresh(pending), revision=1)
    assert Contract.objects.count() == 0
    assert fresh(pending).state == OfferState.PENDING
    assert fresh(pending.job).state == JobState.OPEN
    contract = services.offer_accept(
        freelancer=pending.freelancer, offer=fresh(pending), revision=2
    )
    assert contract.milestones.get().amount_cents == 70_000


def test_only_the_freelancer_accepts():
    pending = offer()
    with pytest.raises(NotFound):
        services.offer_accept(freelancer=pending.client, offer=pending, revision=1)
    assert Contract.objects.count() == 0
    assert fresh(pending).state == OfferState.PENDING


def test_an_offer_on_a_closed_post_cannot_be_accepted():
    pending = offer()
    job_close(job=pending.job, hired=False)
    with pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
    assert Contract.objects.count() == 0


def test_closing_the_post_without_a_hire_withdraws_its_pending_offers():
    pending = offer()
    job_close(job=pending.job, hired=False)
    outbox_drain(now=clock.now())
    pending = fresh(pending)
    assert pending.state == OfferState.WITHDRAWN
    assert pending.proposal.state == ProposalState.JOB_CLOSED
    assert services.offers_job_closed(job=pending.job) == 0


def test_hourly_contract_copies_the_terms():
    contract = contract_hourly(rate_cents=5_500)
    assert contract.kind == ContractKind.HOURLY
    assert contract.hourly_rate_cents == 5_500
    assert contract.weekly_limit_hours == 20
    assert contract.manual_time_allowed is True
    assert contract.milestones.count() == 0


def test_contract_fixed_factory_builds_milestones_and_criteria():
    contract = contract_fixed([1_000, 2_000, 3_000])
    assert list(contract.milestones.values_list("amount_cents", flat=True)) == [1_000, 2_000, 3_000]
    assert AcceptanceCriterion.objects.filter(milestone__contract=contract).count() == 6
    assert Milestone.objects.filter(contract=contract, state=MilestoneState.NOT_FUNDED).count() == 3


def test_contract_started_emails_the_client():
    contract = contract_fixed()
    outbox_drain(now=clock.now())
    assert any(m.to == [contract.client.email] and "accepted" in m.subject for m in mail.outbox)


# Expiry


def test_offers_expire_after_30_days_and_the_run_is_safe_twice():
    start = clock.now()
    with clock.frozen_at(start):
        pending = offer()
        kept = offer()
    with clock.frozen_at(start + timedelta(days=10)):
        services.offer_change(client=kept.client, offer=kept, terms=fixed_terms([900]))
    assert services.offer_expiry_run_due(now=start + timedelta(days=30) - timedelta(seconds=1)) == 0
    assert fresh(pending).state == OfferState.PENDING
    assert services.offer_expiry_run_due(now=start + timedelta(days=30)) == 2
    assert services.offer_expiry_run_due(now=start + timedelta(days=30)) == 0
    pending = fresh(pending)
    assert pending.state == OfferState.EXPIRED
    assert pending.proposal.state == ProposalState.ACTIVE
    with pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)


def test_an_overdue_offer_cannot_be_accepted_before_the_run():
    start = clock.now()
    with clock.frozen_at(start):
        pending = offer()
    with clock.frozen_at(start + timedelta(days=31)), pytest.raises(InvalidTransition):
        services.offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
    assert Contract.objects.count() == 0


def test_the_periodic_task_runs_the_expiry():
    from openlance.contracts.tasks import offer_expiry_periodic

    start = clock.now()
    with clock.frozen_at(start):
        pending = offer()
    with clock.frozen_at(start + timedelta(days=31)):
        offer_expiry_periodic()
    assert fresh(pending).state == OfferState.EXPIRED

"""Issue 11, the access matrix: every route of the URL configuration that names an object,
asked for by everyone who is not its owner.

The routes are not listed by hand: they are read from `django.urls.get_resolver()` (through
every include, and for the API through the Ninja path views behind `/api/`, with the methods
each path takes). Every route whose path has a parameter must be either in `API_MATRIX` /
`PAGE_MATRIX` (a builder of objects owned by someone) or in an allow-list with its reason,
so a new route cannot escape. For each object the test asks, with every method the route
takes, as:

- signed-in strangers of each kind (another freelancer, another client, someone holding both
  roles, staff in every group but Verifier, a verifier): a 404 and nothing else, on the API
  (problem+json, sent with a personal access token, so CSRF plays no part) and on the pages;
- an anonymous visitor: on the API a 401 problem+json with its challenge (a 404 on the few
  operations that need no sign-in); on a page, the redirect to the sign-in page with `next`
  (a 404 on the few pages that need no sign-in).

The owner's GET, where the route has one, must find the object, so a 404 is about the caller
and not about a broken builder; and the strangers' and visitors' requests must change nothing
in the database (a refused write wrote nothing). Both halves of the matrix (API and pages)
live here, asking about one set of objects (`World`): `web` and `api` may not import each
other.

A new route: add its key (the API path template, or the page's URL name) to `API_MATRIX` /
`PAGE_MATRIX` with a builder (`_mine("a token", token_id="token.pk")` for the owner
freelancer's object, `_theirs(...)` for the owner client's, or a function of the `World`
returning `Case`s; one both matrices use is named once, e.g. `TOKEN`), and a plausible body
to `API_BODIES` / `PAGE_FORMS` if it reads one. Run with `-s` to see the count of routes and
tries.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from openlance.accounts.models import User
from openlance.accounts.services import (
    location_verification_reject,
    location_verification_submit,
    token_create,
    user_set_roles,
)
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.cards import card_save
from openlance.billing.payouts import withdrawal_create
from openlance.billing.services import funds_deposit
from openlance.billing.tests.payout_helpers import available, usable_method
from openlance.contracts.amendments import amendment_propose
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import invoice_issue, time_entry_add
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import TimeEntrySource
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.payments.expenses import expense_propose
from openlance.contracts.payments.refunds import refund_request_open
from openlance.contracts.tests.factories import contract_fixed, contract_hourly, offer
from openlance.core import clock
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic
from openlance.core.money import Money
from openlance.core.tests.files import pdf_upload, png_upload
from openlance.disputes.services import dispute_open
from openlance.jobs.models import JobState, JobVisibility
from openlance.jobs.services import job_attachment_add
from openlance.jobs.tests.factories import job_client, job_post
from openlance.messaging.services import message_send
from openlance.messaging.tests.factories import conversation
from openlance.profiles.models import Visibility
from openlance.profiles.services import employment_add, portfolio_item_save
from openlance.profiles.tests.factories import (
    client_with_profile,
    freelancer_with_profile,
    specialized_profile,
)
from openlance.proposals.services import proposal_attachment_add
from openlance.proposals.tests.factories import funded_freelancer, invitation, proposal

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


# --- the routes, read from the URL configuration ------------------------------------------


@dataclass(frozen=True)
class Route:
    """One path of the URL configuration that has parameters."""

    key: str  # the API's path template ("/api/v1/jobs/{job_id}") or the page's URL name
    route: str  # as Django has it ("jobs/<int:job_id>/")
    params: tuple[str, ...]
    methods: tuple[str, ...]
    namespaces: tuple[str, ...] = ()
    # The methods that need a signed-in caller: on the API, those whose operation has auth;
    # on a page, all of them when the view is behind `login_required`.
    signed_in: frozenset[str] = frozenset()

    @property
    def is_api(self) -> bool:
        return self.key.startswith("/api/")

    def url(self, ids: Mapping[str, object]) -> str:
        missing = set(self.params) - set(ids)
        assert not missing, f"{self.key}: the case gives no value for {sorted(missing)}"
        if self.is_api:
            return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), self.key)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), self.route)
        return "/" + path


PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[str, URLPattern, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), entry, namespaces


def _path_view(callback: Callable[..., Any]) -> PathView | None:
    """The Ninja path view behind a URL pattern of the API (its view closes over it)."""
    if not inspect.isfunction(callback) or callback.__closure__ is None:
        return None
    owner = inspect.getclosurevars(callback).nonlocals.get("self")
    return owner if isinstance(owner, PathView) else None


def _decorator_chain(callback: Callable[..., Any]) -> Iterator[Mapping[str, Any]]:
    """The closure variables of each function a page's view is wrapped in."""
    function: Any = callback
    while function is not None:
        if inspect.isfunction(function) and function.__closure__ is not None:
            yield inspect.getclosurevars(function).nonlocals
        function = getattr(function, "__wrapped__", None)


def _page_methods(callback: Callable[..., Any]) -> tuple[str, ...]:
    """What a page's view takes: what its `require_http_methods` allow, else the two methods
    a browser sends (a plain function view answers both)."""
    methods = {"GET", "POST"}
    for closure in _decorator_chain(callback):
        if "request_method_list" in closure:
            methods &= set(closure["request_method_list"])
    return tuple(sorted(methods))


def _page_needs_sign_in(callback: Callable[..., Any]) -> bool:
    # `login_required` (also inside `role_required`) is a `user_passes_test` wrapper.
    return any("test_func" in closure for closure in _decorator_chain(callback))


def _routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route, pattern, namespaces in _walk(get_resolver().url_patterns):
        params = tuple(a or b for a, b in PARAM.findall(route))
        if not params:
            continue
        view = _path_view(pattern.callback)
        if view is not None:
            key = "/" + re.sub(r"<(\w+)>", r"{\1}", route)
            methods = [m for op in view.operations for m in op.methods]
            signed_in = {m for op in view.operations if op.auth_callbacks for m in op.methods}
            found = Route(
                key, route, params, tuple(sorted(methods)), namespaces, frozenset(signed_in)
            )
        else:
            key = ":".join((*namespaces, pattern.name or route))
            methods = list(_page_methods(pattern.callback))
            needs = methods if _page_needs_sign_in(pattern.callback) else []
            found = Route(key, route, params, tuple(methods), namespaces, frozenset(needs))
        # Ninja gives a path one URL pattern per operation; the first one answers them all.
        routes.setdefault(found.key, found)
    return list(routes.values())


# --- the objects, owned by one freelancer and one client ----------------------------------


def _verification_files() -> dict[str, SimpleUploadedFile]:
    return {"id_document": pdf_upload("passport.pdf"), "proof_of_address": png_upload("bill.png")}


def _staff(name: str, groups: list[str]) -> User:
    """Staff with both roles, so that no role check stands between them and the scoping."""
    user = _both_roles()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(*Group.objects.filter(name__in=groups))
    assert user.groups.count() == len(groups), f"{name}: a staff group is missing"
    return user


def _both_roles() -> User:
    user = funded_freelancer()
    user_set_roles(user=user, freelancer=True, client=True)
    client_with_profile(user=user)
    return user


STAFF_GROUPS = ["Support", "Mediator", "Verifier", "Finance", "Policy admin"]
# Staff see every job post, drafts and invite-only ones too (`jobs_visible_to`, for
# moderation), so on the post's public reads (and the proposal form) they are not strangers.
STAFF = frozenset({"staff member", "verifier"})


class World:
    """One freelancer and one client with one thing of each kind, and the strangers: a
    freelancer, a client, someone with both roles, staff in every group but Verifier, and a
    verifier. Everything is made through the factories and services."""

    def __init__(self) -> None:
        self.freelancer = funded_freelancer(connects=80)
        self.client = job_client()
        freelancer = self.freelancer.freelancer
        reviewer = _staff("reviewer", ["Verifier"])

        # accounts
        self.token = token_create(user=self.freelancer, name="matrix")[0]
        self.rejected = location_verification_reject(
            verification=location_verification_submit(
                user=self.freelancer,
                country="US",
                city="Austin",
                note="",
                id_document=pdf_upload("passport.pdf"),
                proof_of_address=png_upload("bill.png"),
            ),
            reviewer=reviewer,
            reason="Blurry document",
        )
        self.reviewer = reviewer
        self.submitted = location_verification_submit(
            user=freelancer_user(),
            country="US",
            city="Austin",
            note="",
            id_document=pdf_upload("passport.pdf"),
            proof_of_address=png_upload("bill.png"),
        )

        # billing: a payout method and a payout
        self.method = usable_method(self.freelancer)
        self.card = card_save(user=self.client, payment_method="pm_card_visa")
        available(self.freelancer, 20_000)
        self.payout = withdrawal_create(
            user=self.freelancer, amount=Money(10_000), key="matrix", method_id=self.method.pk
        )

        # profiles
        self.specialized = specialized_profile(freelancer, title="Django developer")
        self.portfolio_item = portfolio_item_save(
            freelancer=freelancer,
            title="Shop",
            description="An online shop.",
            link="https://example.com/shop",
            skill_slugs=[],
        )
        self.employment = employment_add(
            freelancer=freelancer,
            company="Acme",
            role="Developer",
            started_on=date(2020, 1, 1),
            ended_on=None,
        )
        private = freelancer_with_profile(visibility=Visibility.PRIVATE).freelancer
        self.private_freelancer = private.user
        self.private_image = portfolio_item_save(
            freelancer=private,
            title="Private work",
            description="",
            link="",
            skill_slugs=[],
            image=png_upload("work.png"),
        )

        # job posts: a draft, an open public one, an open invite-only one
        self.draft = job_post(client=self.client, state=JobState.DRAFT)
        self.draft_attachment = job_attachment_add(job=self.draft, upload=pdf_upload("brief.pdf"))
        self.open_job = job_post(client=self.client)
        self.open_attachment = job_attachment_add(job=self.open_job, upload=pdf_upload("spec.pdf"))
        self.invite_only = job_post(client=self.client, visibility=JobVisibility.INVITE_ONLY)
        self.invitation = invitation(job=self.invite_only, freelancer=self.freelancer)

        # a proposal with an attachment, and an offer on it
        self.proposal = proposal(job=self.open_job, freelancer=self.freelancer)
        self.proposal_attachment = proposal_attachment_add(
            freelancer=self.freelancer, proposal=self.proposal, upload=pdf_upload("cv.pdf")
        )
        self.offer = offer(proposal=self.proposal)

        # a contract: the first milestone submitted with a file, an amendment proposed
        self.contract = contract_fixed(
            (50_000, 20_000), client=self.client, freelancer=self.freelancer
        )
        self.submitted_milestone, self.open_milestone = self.contract.milestones.order_by(
            "position"
        )
        submission = milestone_submit(
            freelancer=self.freelancer,
            milestone=self.submitted_milestone,
            message="Here is the work.",
            files=[pdf_upload("work.pdf")],
            acknowledge_unfunded=True,
        )
        self.submission_file = submission.files.get()
        self.amendment = amendment_propose(
            user=self.client,
            contract=self.contract,
            description="An extra page",
            amount=Money(10_000),
        )

        # an hourly contract with an hour logged
        # (within one billing week: early on a Monday, late last Sunday, still editable)
        now = clock.now()
        week_start = weeks.week_starts_at(weeks.week_of(now))
        ended = now - timedelta(minutes=30)
        if ended - timedelta(hours=1) < week_start:
            ended = week_start - timedelta(minutes=10)
        with clock.frozen_at(ended - timedelta(hours=2)):
            self.hourly = contract_hourly(client=self.client, freelancer=self.freelancer)
        self.time_entry = time_entry_add(
            user=self.freelancer,
            contract=self.hourly,
            started_at=ended - timedelta(hours=1),
            ended_at=ended,
            memo="Set up the project",
            source=TimeEntrySource.MANUAL,
        )
        # an invoice for it, issued as the Monday run would (nothing to pay it with)
        week = weeks.week_of(self.time_entry.started_at)
        self.invoice = invoice_issue(contract=self.hourly, week=week, now=weeks.week_locks_at(week))

        # a bonus on the contract (its payment) and a refund request on it
        funds_deposit(
            user=self.client, amount=Money(20_000), payment_method="pm_card_visa", key="matrix"
        )
        self.bonus = bonus_pay(
            client=self.client, contract=self.contract, amount=Money(5_000), key="matrix"
        )
        self.refund_request = refund_request_open(
            client=self.client,
            contract=self.contract,
            payment=self.bonus.payment,
            amount=Money(1_000),
            reason="Paid twice by mistake",
        )

        # a dispute the client opened on a funded milestone of another contract
        disputed = contract_fixed((30_000,), client=self.client, freelancer=self.freelancer)
        self.disputed_milestone = disputed.milestones.get()
        milestone_fund(
            client=self.client, milestone=self.disputed_milestone, payment_method="pm_card_visa"
        )
        self.dispute = dispute_open(
            user=self.client, milestone=self.disputed_milestone, reason="Nothing delivered"
        )

        # an expense the freelancer proposed on the contract
        self.expense = expense_propose(
            freelancer=self.freelancer,
            contract=self.contract,
            description="Stock photos",
            amount=Money(2_000),
            receipt=pdf_upload("receipt.pdf"),
        )

        # a notification
        self.notification = notify(
            self.freelancer,
            topic=NotificationTopic.MESSAGES,
            subject="Hello",
            body="A message came.",
            link_label="Read it",
            path="/messages/",
        )

        # a conversation with an attachment
        self.conversation = conversation(self.client, self.freelancer)
        message = message_send(
            conversation=self.conversation,
            sender=self.client,
            body="Here is the brief.",
            attachments=[pdf_upload("brief.pdf")],
        )
        self.message_attachment = message.attachments.get()

        self.strangers: dict[str, User] = {
            "freelancer": funded_freelancer(),
            "client": job_client(),
            "user with both roles": _both_roles(),
            "staff member": _staff("staff", [g for g in STAFF_GROUPS if g != "Verifier"]),
            "verifier": _staff("verifier", ["Verifier"]),
        }
        # Everyone who asks: the owners of the cases and the strangers.
        self.everyone: list[User] = [
            self.freelancer,
            self.client,
            self.reviewer,
            self.private_freelancer,
            *self.strangers.values(),
        ]
        self.tokens = {u.pk: token_create(user=u, name="matrix caller")[1] for u in self.everyone}


@dataclass(frozen=True)
class Case:
    """An object to ask a route about: its path values; whose GET must find it (`owner`,
    None when no GET could: the check that a stranger's 404 is about the stranger); the
    methods tried on it (None: all the route takes); the strangers who may nevertheless use
    it; and whether its own parties are strangers too (nobody may have it by this route)."""

    what: str
    ids: Mapping[str, object]
    owner: User | None
    methods: frozenset[str] | None = None
    insiders: frozenset[str] = frozenset()
    parties_too: bool = False


Builder = Callable[[World], list[Case]]


def _mine(what: str, **ids: object) -> Builder:
    """The owner freelancer's object; each path value is a constant or, written `"a.b.pk"`,
    read from the world (`token_id="token.pk"` is `world.token.pk`)."""
    return lambda w: [Case(what, {k: _value(w, v) for k, v in ids.items()}, w.freelancer)]


def _theirs(what: str, **ids: object) -> Builder:
    """The owner client's object (path values as for `_mine`)."""
    return lambda w: [Case(what, {k: _value(w, v) for k, v in ids.items()}, w.client)]


def _value(w: World, value: object) -> object:
    if isinstance(value, str) and value.endswith(".pk"):
        target: Any = w
        for part in value.split("."):
            target = getattr(target, part)
        return target
    return value


def _post_reads(methods: set[str], *, reader: str = "client") -> Builder:
    """What anyone who may see a post may do with it (open it, ask the cost, apply): tried on
    posts a stranger may not see, a draft and an invite-only post (staff see both). Whose GET
    must find them: their client, or (`reader="invited"`, the proposal form) the freelancer
    invited to the invite-only one."""

    def build(w: World) -> list[Case]:
        readers = {"client": (w.client, w.client), "invited": (None, w.freelancer)}[reader]
        return [
            Case(what, {"job_id": job.pk}, owner, frozenset(methods), STAFF)
            for what, job, owner in (
                ("a draft post", w.draft, readers[0]),
                ("an invite-only post", w.invite_only, readers[1]),
            )
        ]

    return build


def _post_writes(methods: set[str] | None = None, attachments: bool = False) -> Builder:
    """What only the post's client may do: tried on a draft and on an open public post."""

    def build(w: World) -> list[Case]:
        cases = []
        for what, job, attachment in (
            ("a draft post", w.draft, w.draft_attachment),
            ("an open post", w.open_job, w.open_attachment),
        ):
            ids: dict[str, object] = {"job_id": job.pk}
            if attachments:
                ids["attachment_id"] = attachment.pk
            cases.append(Case(what, ids, w.client, frozenset(methods) if methods else None))
        return cases

    return build


def _both(*builders: Builder) -> Builder:
    return lambda w: [case for builder in builders for case in builder(w)]


def _milestones(w: World) -> list[Case]:
    return [
        Case("a submitted milestone", {"milestone_id": w.submitted_milestone.pk}, w.client),
        Case("an open milestone", {"milestone_id": w.open_milestone.pk}, w.client),
    ]


def _verification_under_review(w: World) -> list[Case]:
    # Someone else's request, waiting for a verifier: the reviewer owns the decision.
    return [
        Case(
            "a submitted verification",
            {"verification_id": w.submitted.pk},
            w.reviewer,
            insiders=frozenset({"verifier"}),
        )
    ]


def _private_freelancer(w: World) -> list[Case]:
    # Reviews and work history are shown as far as the profile is: a private one's are its
    # owner's only.
    return [
        Case("a private freelancer", {"user_id": w.private_freelancer.pk}, w.private_freelancer)
    ]


# The builders both matrices use: the API and the pages ask about the same objects.
TOKEN = _mine("a token", token_id="token.pk")
REJECTED_VERIFICATION = _mine("a rejected verification", verification_id="rejected.pk")
PAYOUT_METHOD = _mine("a payout method", method_id="method.pk")
SAVED_CARD = _theirs("a saved card", card_id="card.pk")
SPECIALIZED_PROFILE = _mine("a specialized profile", profile_id="specialized.pk")
PORTFOLIO_ITEM = _mine("a portfolio item", item_id="portfolio_item.pk")
EMPLOYMENT_ENTRY = _mine("an employment entry", kind="employment", item_id="employment.pk")
POST_READS = _post_reads({"GET"})
POST_WRITES = _post_writes()
POST_ATTACHMENT = _post_writes(attachments=True)
PROPOSAL_SENT = _mine("a proposal", proposal_id="proposal.pk")
PROPOSAL_RECEIVED = _theirs("a proposal", proposal_id="proposal.pk")
INVITATION = _mine("an invitation", invitation_id="invitation.pk")
OFFER_SENT = _theirs("a pending offer", offer_id="offer.pk")
OFFER_RECEIVED = _mine("a pending offer", offer_id="offer.pk")
CONTRACT = _theirs("a contract", contract_id="contract.pk")
PAYMENT = _theirs("a payment on a contract", payment_id="bonus.payment.pk")
REFUND_REQUEST = _theirs("a refund request", request_id="refund_request.pk")
EXPENSE = _theirs("an expense", expense_id="expense.pk")
# Mediators see every dispute (the staff member here is one): not strangers to it.
MEDIATORS = frozenset({"staff member"})


def DISPUTE(w: World) -> list[Case]:
    return [Case("a dispute", {"dispute_id": w.dispute.pk}, w.client, insiders=MEDIATORS)]


HOURLY_CONTRACT = _mine("an hourly contract", contract_id="hourly.pk")
CONVERSATION = _mine("a conversation", conversation_id="conversation.pk")
MESSAGE_ATTACHMENT = _mine(
    "a message attachment",
    conversation_id="conversation.pk",
    attachment_id="message_attachment.pk",
)


# --- the API -------------------------------------------------------------------------------

API_MATRIX: dict[str, Builder] = {
    # accounts
    "/api/v1/tokens/{token_id}": TOKEN,
    "/api/v1/me/verifications/{verification_id}/appeal": REJECTED_VERIFICATION,
    "/api/v1/verifications/{verification_id}/approve": _verification_under_review,
    "/api/v1/verifications/{verification_id}/reject": _verification_under_review,
    # billing
    "/api/v1/payouts/methods/{method_id}/default": PAYOUT_METHOD,
    "/api/v1/payouts/methods/{method_id}": PAYOUT_METHOD,
    "/api/v1/me/cards/{card_id}": SAVED_CARD,
    "/api/v1/payouts/{payout_id}": _mine("a payout", payout_id="payout.pk"),
    # profiles
    "/api/v1/me/profiles/{profile_id}": SPECIALIZED_PROFILE,
    "/api/v1/me/profiles/{profile_id}/rank": SPECIALIZED_PROFILE,
    "/api/v1/me/portfolio/{item_id}": PORTFOLIO_ITEM,
    "/api/v1/me/history/{kind}/{item_id}": EMPLOYMENT_ENTRY,
    # jobs
    "/api/v1/jobs/{job_id}": _both(POST_READS, _post_writes({"PUT"})),
    "/api/v1/jobs/{job_id}/publish": POST_WRITES,
    "/api/v1/jobs/{job_id}/close": POST_WRITES,
    "/api/v1/jobs/{job_id}/attachments": POST_WRITES,
    "/api/v1/jobs/{job_id}/attachments/{attachment_id}": POST_ATTACHMENT,
    # proposals and invitations
    "/api/v1/jobs/{job_id}/proposals": _both(_post_reads({"POST"}), _post_writes({"GET"})),
    "/api/v1/jobs/{job_id}/proposal-cost": POST_READS,
    "/api/v1/jobs/{job_id}/invitations": POST_WRITES,
    "/api/v1/proposals/{proposal_id}": PROPOSAL_SENT,
    "/api/v1/proposals/{proposal_id}/withdraw": PROPOSAL_SENT,
    "/api/v1/proposals/{proposal_id}/attachments": PROPOSAL_SENT,
    "/api/v1/proposals/{proposal_id}/shortlist": PROPOSAL_RECEIVED,
    "/api/v1/proposals/{proposal_id}/archive": PROPOSAL_RECEIVED,
    "/api/v1/proposals/{proposal_id}/decline": PROPOSAL_RECEIVED,
    "/api/v1/proposals/{proposal_id}/messages": PROPOSAL_RECEIVED,
    "/api/v1/invitations/{invitation_id}/accept": INVITATION,
    "/api/v1/invitations/{invitation_id}/decline": INVITATION,
    # offers and contracts
    "/api/v1/offers/{offer_id}": OFFER_SENT,
    "/api/v1/offers/{offer_id}/withdraw": OFFER_SENT,
    "/api/v1/offers/{offer_id}/decline": OFFER_RECEIVED,
    "/api/v1/offers/{offer_id}/accept": OFFER_RECEIVED,
    "/api/v1/contracts/{contract_id}": CONTRACT,
    "/api/v1/contracts/{contract_id}/end": CONTRACT,
    "/api/v1/contracts/{contract_id}/amendments": CONTRACT,
    "/api/v1/contracts/{contract_id}/bonuses": CONTRACT,
    "/api/v1/contracts/{contract_id}/milestone-changes": CONTRACT,
    "/api/v1/disputes/{dispute_id}": DISPUTE,
    "/api/v1/disputes/{dispute_id}/respond": DISPUTE,
    "/api/v1/disputes/{dispute_id}/proposal": DISPUTE,
    "/api/v1/disputes/{dispute_id}/proposal/accept": DISPUTE,
    "/api/v1/disputes/{dispute_id}/proposal/reject": DISPUTE,
    "/api/v1/disputes/{dispute_id}/arbitration": DISPUTE,
    "/api/v1/disputes/{dispute_id}/concede": DISPUTE,
    "/api/v1/notifications/{notification_id}/read": _mine(
        "a notification", notification_id="notification.pk"
    ),
    "/api/v1/expenses/{expense_id}/disputes": EXPENSE,
    "/api/v1/disputes/{dispute_id}/hours": DISPUTE,
    "/api/v1/contracts/{contract_id}/end-with-disputes": CONTRACT,
    "/api/v1/milestones/{milestone_id}/disputes": _theirs(
        "a funded milestone", milestone_id="disputed_milestone.pk"
    ),
    "/api/v1/contracts/{contract_id}/payments": CONTRACT,
    "/api/v1/contracts/{contract_id}/refunds": CONTRACT,
    "/api/v1/contracts/{contract_id}/refund-requests": CONTRACT,
    "/api/v1/payments/{payment_id}/refunds": PAYMENT,
    "/api/v1/contracts/{contract_id}/expenses": CONTRACT,
    "/api/v1/expenses/{expense_id}/accept": EXPENSE,
    "/api/v1/expenses/{expense_id}/decline": EXPENSE,
    "/api/v1/expenses/{expense_id}/withdraw": EXPENSE,
    "/api/v1/expenses/{expense_id}/fund": EXPENSE,
    "/api/v1/expenses/{expense_id}/release": EXPENSE,
    "/api/v1/payments/{payment_id}/refund-requests": PAYMENT,
    "/api/v1/refund-requests/{request_id}/accept": REFUND_REQUEST,
    "/api/v1/refund-requests/{request_id}/reject": REFUND_REQUEST,
    "/api/v1/refund-requests/{request_id}/dispute": REFUND_REQUEST,
    "/api/v1/amendments/{amendment_id}/accept": _mine("an amendment", amendment_id="amendment.pk"),
    "/api/v1/amendments/{amendment_id}/decline": _mine("an amendment", amendment_id="amendment.pk"),
    "/api/v1/amendments/{amendment_id}/withdraw": _theirs(
        "an amendment", amendment_id="amendment.pk"
    ),
    # hourly work
    "/api/v1/contracts/{contract_id}/timesheet": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/time-entries": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/invoices": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/pause": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/hourly-terms": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/hourly-card": HOURLY_CONTRACT,
    "/api/v1/contracts/{contract_id}/resume": HOURLY_CONTRACT,
    "/api/v1/invoices/{invoice_id}/dispute": _theirs("an invoice", invoice_id="invoice.pk"),
    "/api/v1/time-entries/{entry_id}": _mine("a time entry", entry_id="time_entry.pk"),
    # reviews
    "/api/v1/contracts/{contract_id}/feedback": CONTRACT,
    "/api/v1/freelancers/{user_id}/reviews": _private_freelancer,
    "/api/v1/milestones/{milestone_id}/fund": _milestones,
    "/api/v1/milestones/{milestone_id}/submit": _milestones,
    "/api/v1/milestones/{milestone_id}/approve": _milestones,
    "/api/v1/milestones/{milestone_id}/request-changes": _milestones,
    "/api/v1/milestones/{milestone_id}/cancel": _milestones,
    # messaging
    "/api/v1/conversations/{conversation_id}": CONVERSATION,
    "/api/v1/conversations/{conversation_id}/messages": CONVERSATION,
    "/api/v1/conversations/{conversation_id}/read": CONVERSATION,
    "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}": MESSAGE_ATTACHMENT,
}

# Paths whose parameters name something everyone may see, or nothing owned at all.
API_ALLOWED: dict[str, str] = {
    "/api/v1/policies/{kind}": "a policy kind, not an object: the rules in force are public",
    "/api/v1/freelancers/{user_id}": (
        "a freelancer's public profile, shown as far as its visibility allows "
        "(profiles.selectors.profile_access, tested in profiles/tests/test_api.py)"
    ),
    "/api/v1/clients/{user_id}": (
        "a client's public vetting signals (insights), what freelancers read before applying"
    ),
    "/api/v1/clients/{user_id}/reviews": "freelancers' revealed feedback on a client is public",
    "/api/v1/me/notification-preferences/{topic}": (
        "a topic of the caller's own email choices, not an object"
    ),
    "/api/v1/me/saved-jobs/{job_id}": (
        "names a post to keep in the caller's own list: one they cannot see is a 404, "
        "tested in saved/tests"
    ),
    "/api/v1/me/saved-freelancers/{user_id}": (
        "names a freelancer to keep in the caller's own list: one whose profile they cannot "
        "see is a 404, tested in saved/tests"
    ),
}


@dataclass(frozen=True)
class Multipart:
    """A multipart body, made afresh for each request (an upload is read once)."""

    make: Callable[[], dict[str, Any]]


Body = Mapping[str, Any] | Multipart | Callable[[World], Mapping[str, Any]]

STARS = ("skills", "quality", "availability", "deadlines", "communication", "cooperation")
PROPOSAL = {
    "cover_letter": "I have built many sites like this and can start today.",
    "bid_type": "fixed",
    "bid": {"amount": "500.00"},
    "duration": "less_than_1_month",
}
OFFER_TERMS = {
    "kind": "fixed",
    "title": "Build the site",
    "description": "A small website with a contact form.",
    "start_date": "2030-01-01",
    "milestones": [{"description": "Design", "amount": {"amount": "100.00"}}],
    "message": "Welcome aboard.",
}
JOB = {
    "title": "Landing page copy for a fintech app",
    "description": "Write the copy for our landing page, in a friendly tone.",
    "category": "writing",
    "skills": ["copywriting"],
    "size": "small",
    "duration": "less_than_1_month",
    "experience_level": "expert",
    "budget_type": "fixed",
    "budget": {"amount": "450.00", "currency": "USD"},
}

# A plausible body (or query, for a GET) for each operation that reads one, so the request
# gets past validation to the handler's own scoping. (Invalid input from a stranger is the
# 404 of `scope_first`, covered by test_hardening.py.)
API_BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/v1/me/verifications/{verification_id}/appeal"): Multipart(
        lambda: {"note": "A sharper scan.", **_verification_files()}
    ),
    ("POST", "/api/v1/verifications/{verification_id}/reject"): {"reason": "Blurry"},
    ("PUT", "/api/v1/me/profiles/{profile_id}"): {
        "title": "Django developer",
        "overview": "I build Django applications.",
        "hourly_rate": {"amount": "60.00"},
    },
    ("GET", "/api/v1/me/profiles/{profile_id}/rank"): {"q": "django"},
    ("PUT", "/api/v1/jobs/{job_id}"): JOB,
    ("POST", "/api/v1/jobs/{job_id}/close"): {"hired": False},
    ("POST", "/api/v1/jobs/{job_id}/attachments"): Multipart(
        lambda: {"file": pdf_upload("more.pdf")}
    ),
    ("POST", "/api/v1/jobs/{job_id}/proposals"): PROPOSAL,
    ("GET", "/api/v1/jobs/{job_id}/proposals"): {"page": 1},
    ("POST", "/api/v1/jobs/{job_id}/invitations"): lambda w: {
        "freelancer_id": w.strangers["freelancer"].pk,
        "message": "Please have a look.",
    },
    ("POST", "/api/v1/proposals/{proposal_id}/attachments"): Multipart(
        lambda: {"file": pdf_upload("more.pdf")}
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/decline"): {"reason": "Not a fit."},
    ("POST", "/api/v1/proposals/{proposal_id}/messages"): {"body": "Can we talk?"},
    ("POST", "/api/v1/invitations/{invitation_id}/accept"): PROPOSAL,
    ("POST", "/api/v1/invitations/{invitation_id}/decline"): {"reason": "too_busy"},
    ("PUT", "/api/v1/offers/{offer_id}"): OFFER_TERMS,
    ("PATCH", "/api/v1/offers/{offer_id}"): {"title": "Build the whole site"},
    ("POST", "/api/v1/offers/{offer_id}/decline"): {"reason": "Too busy."},
    ("POST", "/api/v1/offers/{offer_id}/accept"): lambda w: {"revision": w.offer.revision},
    ("PUT", "/api/v1/contracts/{contract_id}/hourly-card"): {"card": "pm_card_visa"},
    ("POST", "/api/v1/contracts/{contract_id}/bonuses"): {"amount": {"amount": "10.00"}},
    ("POST", "/api/v1/contracts/{contract_id}/milestone-changes"): lambda w: {
        "milestone_id": w.open_milestone.pk,
        "amount": {"amount": "250.00"},
    },
    ("POST", "/api/v1/payments/{payment_id}/refunds"): {
        "amount": {"amount": "1.00"},
        "reason": "Goodwill",
    },
    ("POST", "/api/v1/payments/{payment_id}/refund-requests"): {
        "amount": {"amount": "1.00"},
        "reason": "Goodwill",
    },
    ("POST", "/api/v1/refund-requests/{request_id}/reject"): {"note": "No"},
    ("POST", "/api/v1/refund-requests/{request_id}/dispute"): {"reason": "Bad"},
    ("POST", "/api/v1/contracts/{contract_id}/expenses"): Multipart(
        lambda: {"description": "Fonts", "amount": "10.00", "receipt": pdf_upload("r.pdf")}
    ),
    ("POST", "/api/v1/expenses/{expense_id}/fund"): {"payment_method": "balance"},
    ("POST", "/api/v1/disputes/{dispute_id}/respond"): {"response": "No"},
    ("POST", "/api/v1/disputes/{dispute_id}/hours"): {"billed_seconds": 0, "note": "x"},
    ("POST", "/api/v1/contracts/{contract_id}/end-with-disputes"): {"reason": "Bad"},
    ("POST", "/api/v1/expenses/{expense_id}/disputes"): {"reason": "Bad"},
    ("POST", "/api/v1/disputes/{dispute_id}/proposal/accept"): {"proposal_revision": 1},
    ("POST", "/api/v1/disputes/{dispute_id}/proposal/reject"): {"proposal_revision": 1},
    ("POST", "/api/v1/disputes/{dispute_id}/proposal"): {
        "to_freelancer": {"amount": "1.00"},
        "note": "x",
    },
    ("POST", "/api/v1/disputes/{dispute_id}/arbitration"): {
        "to_freelancer": {"amount": "1.00"},
        "note": "x",
    },
    ("POST", "/api/v1/milestones/{milestone_id}/disputes"): {"reason": "Bad"},
    ("POST", "/api/v1/contracts/{contract_id}/hourly-terms"): {
        "hourly_rate": {"amount": "45.00"},
        "weekly_limit_hours": 20,
    },
    ("POST", "/api/v1/contracts/{contract_id}/amendments"): {
        "description": "One more page",
        "amount": {"amount": "100.00"},
    },
    ("POST", "/api/v1/milestones/{milestone_id}/fund"): {"payment_method": "pm_card_visa"},
    ("POST", "/api/v1/contracts/{contract_id}/time-entries"): lambda w: {
        "started_at": w.hourly.started_at.isoformat(),
        "ended_at": w.hourly.started_at.isoformat(),
        "manual": True,
    },
    ("POST", "/api/v1/invoices/{invoice_id}/dispute"): {"reason": "Too many hours."},
    ("PUT", "/api/v1/time-entries/{entry_id}"): lambda w: {
        "started_at": w.time_entry.started_at.isoformat(),
        "ended_at": w.time_entry.ended_at.isoformat(),
        "memo": "Changed",
    },
    ("PUT", "/api/v1/contracts/{contract_id}/feedback"): {
        **dict.fromkeys(STARS, 5),
        "text": "Clear brief, paid on time.",
    },
    ("GET", "/api/v1/freelancers/{user_id}/reviews"): {"page": 1},
    ("POST", "/api/v1/milestones/{milestone_id}/submit"): Multipart(
        lambda: {
            "message": "Done.",
            "acknowledge_unfunded": "true",
            "files": [pdf_upload("work.pdf")],
        }
    ),
    ("POST", "/api/v1/milestones/{milestone_id}/approve"): {"remainder": "refund"},
    ("POST", "/api/v1/milestones/{milestone_id}/request-changes"): {"message": "Fix the form."},
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): {"page": 1},
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): {"body": "Hello there."},
}


# --- the pages -----------------------------------------------------------------------------


def _media(w: World) -> list[Case]:
    """Uploads behind `/media/<name>`, by folder rule (web/media.py)."""
    return [
        Case(
            "a private freelancer's portfolio image",
            {"name": w.private_image.image.name},
            w.private_freelancer,
        ),
        Case(
            "an identity document",
            {"name": w.rejected.id_document.name},
            w.freelancer,
            insiders=frozenset({"verifier"}),
        ),
        Case(
            "a proof of address",
            {"name": w.rejected.proof_of_address.name},
            w.freelancer,
            insiders=frozenset({"verifier"}),
        ),
        Case(
            "a draft post's attachment",
            {"name": w.draft_attachment.file.name},
            w.client,
            insiders=STAFF,
        ),
        Case("a proposal's attachment", {"name": w.proposal_attachment.file.name}, w.freelancer),
        # Served by their own routes to the two parties only, never under /media/.
        Case(
            "a message attachment",
            {"name": w.message_attachment.file.name},
            None,
            parties_too=True,
        ),
        Case("a submitted file", {"name": w.submission_file.file.name}, None, parties_too=True),
    ]


def _amendment_answers(w: World) -> list[Case]:
    return [
        Case(f"an amendment ({answer})", {"amendment_id": w.amendment.pk, "answer": answer}, owner)
        for answer, owner in (
            ("accept", w.freelancer),
            ("decline", w.freelancer),
            ("withdraw", w.client),
        )
    ]


PAGE_MATRIX: dict[str, Builder] = {
    # accounts
    "token_revoke": TOKEN,
    "verification_appeal": REJECTED_VERIFICATION,
    # billing
    "payout_method_default": PAYOUT_METHOD,
    "payout_method_remove": PAYOUT_METHOD,
    "card_remove": SAVED_CARD,
    # profiles
    "specialized_edit": SPECIALIZED_PROFILE,
    "specialized_delete": SPECIALIZED_PROFILE,
    "portfolio_edit": PORTFOLIO_ITEM,
    "portfolio_delete": PORTFOLIO_ITEM,
    "history_delete": EMPLOYMENT_ENTRY,
    # jobs
    "job_detail": POST_READS,
    "job_edit": POST_WRITES,
    "job_publish": POST_WRITES,
    "job_close": POST_WRITES,
    "job_attachment_delete": POST_ATTACHMENT,
    # proposals and invitations
    "proposal_new": _post_reads({"GET", "POST"}, reader="invited"),
    "proposal_job_list": POST_WRITES,
    "proposal_detail": PROPOSAL_SENT,
    "proposal_withdraw": PROPOSAL_SENT,
    "proposal_shortlist": PROPOSAL_RECEIVED,
    "proposal_archive": PROPOSAL_RECEIVED,
    "proposal_decline": PROPOSAL_RECEIVED,
    "proposal_message": PROPOSAL_RECEIVED,
    "invitation_detail": INVITATION,
    # offers and contracts
    "offer_new": PROPOSAL_RECEIVED,
    "offer_detail": OFFER_SENT,
    "offer_edit": OFFER_SENT,
    "offer_withdraw": OFFER_SENT,
    "offer_decline": OFFER_RECEIVED,
    "offer_accept": OFFER_RECEIVED,
    "contract_detail": CONTRACT,
    "contract_end": CONTRACT,
    "contract_conversation": CONTRACT,
    "amendment_propose": CONTRACT,
    "bonus_pay": CONTRACT,
    "milestone_change_propose": CONTRACT,
    "dispute_detail": DISPUTE,
    "dispute_respond": DISPUTE,
    "dispute_propose": DISPUTE,
    "dispute_arbitrate": DISPUTE,
    "dispute_decide_hours": DISPUTE,
    "dispute_concede": DISPUTE,
    # No GET finds these for their owner here (the world's files are on other contracts, its
    # invoice is not disputed): strangers' 404s are checked; the owners' own tests are in
    # disputes/tests.
    "dispute_case_document": lambda w: [
        Case(
            "a dispute's file",
            {"dispute_id": w.dispute.pk, "kind": "submission", "document_id": 1},
            None,
            insiders=MEDIATORS,
        )
    ],
    "invoice_dispute_detail": lambda w: [
        Case("an invoice's dispute", {"invoice_id": w.invoice.pk}, None)
    ],
    "contract_end_disputed": CONTRACT,
    "notification_open": _mine("a notification", notification_id="notification.pk"),
    "notification_read": _mine("a notification", notification_id="notification.pk"),
    "expense_dispute_open": EXPENSE,
    "refund_dispute_open": REFUND_REQUEST,
    "refund_dispute_detail": lambda w: [
        Case("a refund request's dispute", {"request_id": w.refund_request.pk}, None)
    ],
    "expense_dispute_detail": lambda w: [
        Case("an expense's dispute", {"expense_id": w.expense.pk}, None)
    ],
    "dispute_proposal_answer": lambda w: [
        Case(
            "a dispute",
            {"dispute_id": w.dispute.pk, "answer": "accept"},
            w.client,
            insiders=MEDIATORS,
        )
    ],
    "milestone_dispute": lambda w: [
        Case(
            "a disputed milestone",
            {"milestone_id": w.disputed_milestone.pk},
            w.client,
            insiders=MEDIATORS,
        )
    ],
    "dispute_open": _theirs("a funded milestone", milestone_id="disputed_milestone.pk"),
    "contract_chat_proposals": CONTRACT,
    "refund_make": CONTRACT,
    "refund_request_open": CONTRACT,
    "expense_propose": CONTRACT,
    "expense_fund": EXPENSE,
    "expense_receipt": EXPENSE,
    "expense_answer": _theirs("an expense", expense_id="expense.pk", answer="accept"),
    "refund_request_answer": _theirs(
        "a refund request", request_id="refund_request.pk", answer="reject"
    ),
    "amendment_answer": _amendment_answers,
    "timesheet": HOURLY_CONTRACT,
    "time_entry_add": HOURLY_CONTRACT,
    "contract_hourly_card": HOURLY_CONTRACT,
    "hourly_terms_propose": HOURLY_CONTRACT,
    "hourly_card_set": HOURLY_CONTRACT,
    "invoice_dispute": _theirs("an invoice", invoice_id="invoice.pk"),
    "contract_pause": _mine("an hourly contract", contract_id="hourly.pk", action="pause"),
    "time_entry_change": _mine("a time entry", entry_id="time_entry.pk"),
    "contract_feedback": CONTRACT,
    "contract_feedback_card": CONTRACT,
    "freelancer_reviews": _private_freelancer,
    "milestone_fund": _milestones,
    "milestone_submit": _milestones,
    "milestone_approve": _milestones,
    "milestone_request_changes": _milestones,
    "milestone_cancel": _milestones,
    "contract_submission_file": _mine("a submitted file", file_id="submission_file.pk"),
    # messaging
    "conversation_detail": CONVERSATION,
    "conversation_poll": CONVERSATION,
    "message_attachment": MESSAGE_ATTACHMENT,
    # uploads
    "media": _media,
}

PAGE_ALLOWED: dict[str, str] = {
    "notifications_unsubscribe": (
        "a signed token naming one person and one topic: it works without signing in, as a "
        "one-click unsubscribe must, and a forged one is refused (notifications/tests)"
    ),
    "saved_job_button": "the caller's own saved state of a post, empty for anyone else",
    "saved_job_toggle": "saves into the caller's own list; a post they cannot see is a 404",
    "saved_freelancer_button": "the caller's own saved state of a freelancer",
    "saved_freelancer_toggle": (
        "saves into the caller's own list; a profile they cannot see is a 404"
    ),
    "history_add": "<kind> names a section of the signed-in freelancer's own profile",
    "freelancer_detail": (
        "a freelancer's public profile, shown as far as its visibility allows "
        "(profiles.selectors.profile_access, tested in profiles/tests/test_views.py)"
    ),
    "client_detail": "a client's public page, what freelancers read before applying",
    "invitation_new": (
        "<user_id> names the freelancer a client invites: any client may invite anyone "
        "with a freelancer profile, to the client's own posts only"
    ),
    "offer_new_direct": (
        "<user_id> names the freelancer a client hires directly: any client may, on the "
        "client's own posts only"
    ),
    "account_confirm_email": "allauth: a signed one-time key, not an object id",
    "account_reset_password_from_key": "allauth: a signed one-time key, not an object id",
}
# Whole namespaces with their own access rules.
NAMESPACES_ALLOWED: dict[str, str] = {
    "admin": (
        "the operator console: Django admin's staff and model-permission checks "
        "(web/tests/test_admin.py)"
    ),
}

# A plausible form for each page that takes a POST with fields (else an empty form).
PAGE_FORMS: dict[str, Body] = {
    "verification_appeal": Multipart(lambda: {"note": "A sharper scan.", **_verification_files()}),
    "specialized_edit": {
        "title": "Django developer",
        "overview": "I build Django applications.",
        "hourly_rate": "60",
    },
    "portfolio_edit": {"title": "Shop", "description": "", "link": "https://example.com/shop"},
    "job_edit": {
        "title": "Landing page copy for a fintech app",
        "description": "Write the copy for our landing page, in a friendly tone.",
        "category": "writing",
        "skills": "copywriting",
        "size": "small",
        "duration": "less_than_1_month",
        "experience_level": "expert",
        "budget_type": "fixed",
        "budget": "450",
        "visibility": "public",
    },
    "proposal_new": {
        "cover_letter": "I have built many sites like this and can start today.",
        "bid_type": "fixed",
        "bid_amount": "500",
        "duration": "less_than_1_month",
    },
    "proposal_decline": {"reason": "Not a fit."},
    "proposal_message": {"body": "Can we talk?"},
    "offer_new": {
        "kind": "fixed",
        "title": "Build the site",
        "description": "A small website with a contact form.",
        "start_date": "2030-01-01",
        "message": "Welcome aboard.",
    },
    "offer_edit": {
        "kind": "fixed",
        "title": "Build the whole site",
        "description": "A small website with a contact form.",
        "start_date": "2030-01-01",
    },
    "offer_decline": {"reason": "Too busy."},
    "offer_accept": lambda w: {"revision": w.offer.revision},
    "amendment_propose": {"description": "One more page", "amount": "100"},
    "hourly_terms_propose": {"hourly_rate": "45", "weekly_limit_hours": "20"},
    "hourly_card_set": {"pay_with": "balance"},
    "bonus_pay": {"amount": "10", "pay_with": "balance", "key": "matrix"},
    "milestone_change_propose": lambda w: {"milestone": w.open_milestone.pk, "amount": "250"},
    "refund_make": {"payment": "1", "amount": "1", "reason": "x", "key": "m"},
    "refund_request_open": {"payment": "1", "amount": "1", "reason": "x", "key": "m"},
    "refund_request_answer": {"note": "No"},
    "expense_propose": Multipart(
        lambda: {"description": "Fonts", "amount": "10", "receipt": pdf_upload("r.pdf")}
    ),
    "expense_fund": {"pay_with": "balance"},
    "dispute_respond": {"response": "No"},
    "dispute_decide_hours": {"hours": "0", "note": "x"},
    "contract_end_disputed": {"reason": "x"},
    "expense_dispute_open": {"reason": "x"},
    "refund_dispute_open": {"reason": "x"},
    "dispute_propose": {"freelancer_share": "1", "note": "x"},
    "dispute_arbitrate": {"freelancer_share": "1", "note": "x"},
    "dispute_open": {"reason": "Bad"},
    "milestone_fund": {"pay_with": "balance"},
    "milestone_submit": Multipart(
        lambda: {
            "message": "Done.",
            "acknowledge_unfunded": "on",
            "attachments": [pdf_upload("work.pdf")],
        }
    ),
    "milestone_approve": {"remainder": "refund"},
    "milestone_request_changes": {"message": "Fix the form."},
    "conversation_detail": {"body": "Hello there."},
    "contract_feedback": {**dict.fromkeys(STARS, "5"), "text": "Clear brief, paid on time."},
}


# --- asking --------------------------------------------------------------------------------


def _resolve(body: Body | None, w: World) -> Mapping[str, Any] | Multipart | None:
    if body is None or isinstance(body, Multipart | Mapping):
        return body
    return body(w)


def _api_call(
    client: Client, method: str, url: str, body: Body | None, w: World, token: str | None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = _resolve(body, w)
    if method == "GET":
        assert not isinstance(data, Multipart)
        return client.get(url, dict(data or {}), headers=headers)
    if isinstance(data, Multipart):
        assert method == "POST", "multipart bodies are POSTed"
        return client.post(url, data.make(), headers=headers)
    if data is None:
        return client.generic(method, url, headers=headers)
    return client.generic(
        method, url, json.dumps(data), content_type="application/json", headers=headers
    )


def _page_call(client: Client, method: str, url: str, body: Body | None, w: World) -> Any:
    data = _resolve(body, w)
    if method == "GET":
        return client.get(url)
    assert method == "POST", "pages take GET and POST"
    return client.post(url, data.make() if isinstance(data, Multipart) else dict(data or {}))


def _describe(response: Any) -> str:
    """The status and what the answer says, in a line."""
    kind = response.get("Content-Type", "")
    said = ""
    if response.has_header("Location"):
        said = f"-> {response['Location']}"
    elif kind == PROBLEM:
        said = response.json().get("detail", "")
    elif kind.startswith("text/html") and not response.streaming:
        title = re.search(rb"<title>(.*?)</title>", response.content, re.DOTALL)
        said = title.group(1).decode().strip() if title else ""
    return f"{response.status_code} {kind.split(';')[0]} {said}".rstrip()


@dataclass
class Tally:
    surface: str
    routes: int = 0
    objects: int = 0
    tries: int = 0
    owner_checks: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"access matrix ({self.surface}): {self.routes} routes, {self.objects} objects, "
            f"{self.tries} tries ({self.owner_checks} owner checks besides), "
            f"{len(self.failures)} failures"
        )


def _methods_of(route: Route, case: Case) -> list[str]:
    methods = [m for m in route.methods if case.methods is None or m in case.methods]
    unknown = (case.methods or frozenset()) - set(route.methods)
    assert not unknown, f"{route.key}: {case.what} names methods it does not take: {unknown}"
    return methods


def _cases(route: Route, build: Builder, w: World, tally: Tally) -> list[Case]:
    """The route's objects; every method the route takes must be tried on one of them."""
    cases = build(w)
    tried = {m for case in cases for m in _methods_of(route, case)}
    if untried := sorted(set(route.methods) - tried):
        tally.failures.append(f"{route.key}: no object is asked with {untried}; add a case")
    tally.routes += 1
    tally.objects += len(cases)
    return cases


def _callers(w: World, case: Case) -> dict[str, User]:
    callers = {
        f"another {name}": user for name, user in w.strangers.items() if name not in case.insiders
    }
    if case.parties_too:
        callers |= {"its own freelancer": w.freelancer, "its own client": w.client}
    return callers


class Asker:
    """Asks a route as someone, or anonymously (None): on the API with their personal access
    token, on the pages in their own session. Everyone is signed in before anything is
    asked, so the sign-ins are not among the changes `_state` looks for."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.api = Client()
        self.anonymous = Client()
        self.sessions: dict[int, Client] = {}
        for user in w.everyone:
            self.sessions[user.pk] = Client()
            self.sessions[user.pk].force_login(user)

    def __call__(self, route: Route, method: str, url: str, user: User | None) -> Any:
        if route.is_api:
            body = API_BODIES.get((method, route.key))
            token = self.w.tokens[user.pk] if user else None
            return _api_call(self.api, method, url, body, self.w, token)
        client = self.sessions[user.pk] if user else self.anonymous
        return _page_call(client, method, url, PAGE_FORMS.get(route.key), self.w)


def _not_found(route: Route, response: Any) -> bool:
    """A 404, in problem+json on the API."""
    return response.status_code == 404 and (not route.is_api or response["Content-Type"] == PROBLEM)


def _visitor_turned_away(route: Route, method: str, url: str, response: Any) -> bool:
    """Where the method needs a signed-in caller: on the API a 401 problem+json with its
    challenge, on a page the redirect to the sign-in page; elsewhere a 404."""
    if method not in route.signed_in:
        return _not_found(route, response)
    if route.is_api:
        return (
            response.status_code == 401
            and response["Content-Type"] == PROBLEM
            and response.has_header("WWW-Authenticate")
        )
    login = f"{settings.LOGIN_URL}?next={quote(url, safe='/')}"
    return response.status_code == 302 and response["Location"] == login


# Columns a request writes about its caller, not about what it asks for.
CALLER_BOOKKEEPING = {"accounts.PersonalAccessToken": {"last_used_at"}}


def _state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by model (without the caller's bookkeeping)."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label
        skip = CALLER_BOOKKEEPING.get(label, set())
        columns = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        state[label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def _run(ask: Asker, matrix: Mapping[str, Builder], tally: Tally) -> None:
    """Asks each route of `matrix` about each of its objects: its owner must find it; then
    every stranger must get a 404 and an anonymous visitor be turned away, with every method
    the route takes, and none of those requests may change anything. (The owners ask first:
    their reads may change something of theirs, e.g. a conversation's read mark.)"""
    w = ask.w
    routes = {route.key: route for route in _routes()}
    tries = []
    for key, build in matrix.items():
        route = routes[key]
        for case in _cases(route, build, w, tally):
            methods = _methods_of(route, case)
            url = route.url(case.ids)
            where = f"{url} [{key}: {case.what}]"
            tries.append((route, case, methods, url, where))
            if case.owner is not None and "GET" in methods:
                tally.owner_checks += 1
                response = ask(route, "GET", url, case.owner)
                if response.status_code >= 400:
                    tally.failures.append(f"GET {where} as its owner: {_describe(response)}")
    before = _state()
    for route, case, methods, url, where in tries:
        for method in methods:
            for name, user in _callers(w, case).items():
                tally.tries += 1
                response = ask(route, method, url, user)
                if not _not_found(route, response):
                    tally.failures.append(f"{method} {where} as {name}: {_describe(response)}")
            tally.tries += 1
            response = ask(route, method, url, None)
            if not _visitor_turned_away(route, method, url, response):
                tally.failures.append(f"{method} {where} anonymously: {_describe(response)}")
    after = _state()
    if changed := sorted(label for label in before if before[label] != after[label]):
        tally.failures.append(f"the strangers' and visitors' requests changed {changed}")


# --- the tests -----------------------------------------------------------------------------


def _uncovered(
    routes: list[Route], matrix: Mapping[str, Builder], allowed: Mapping[str, str]
) -> list[str]:
    return [
        route.key
        for route in routes
        if route.key not in matrix
        and route.key not in allowed
        and not set(route.namespaces) & set(NAMESPACES_ALLOWED)
    ]


def test_every_route_with_an_id_is_in_the_matrix() -> None:
    routes = _routes()
    api = [r for r in routes if r.is_api]
    pages = [r for r in routes if not r.is_api]
    new_api = _uncovered(api, API_MATRIX, API_ALLOWED)
    new_pages = _uncovered(pages, PAGE_MATRIX, PAGE_ALLOWED)
    uncovered = new_api + new_pages
    assert uncovered == [], (
        "Routes that name an object are not in the access matrix: "
        f"{uncovered}. Add each to API_MATRIX / PAGE_MATRIX in "
        "openlance/api/tests/test_access_matrix.py with a builder of an object someone owns "
        "(a stranger must get a 404), or to API_ALLOWED / PAGE_ALLOWED with the reason "
        "everyone may use it."
    )
    keys = {r.key for r in routes}
    stale = sorted(
        (set(API_MATRIX) | set(API_ALLOWED) | set(PAGE_MATRIX) | set(PAGE_ALLOWED)) - keys
    )
    assert stale == [], f"The matrix names routes that no longer exist: {stale}"
    both = sorted((set(API_MATRIX) & set(API_ALLOWED)) | (set(PAGE_MATRIX) & set(PAGE_ALLOWED)))
    assert both == [], f"Routes both in the matrix and allowed: {both}"
    # Every API write that reads a body is sent a plausible one.
    body_sources = {"body", "form", "file"}
    with_bodies, missing_bodies = [], []
    for route in api:
        if route.key not in API_MATRIX:
            continue
        view = _path_view(get_resolver().resolve(route.url(dict.fromkeys(route.params, 1))).func)
        assert view is not None
        for operation in view.operations:
            sources = {getattr(m, "__ninja_param_source__", None) for m in operation.models}
            for method in operation.methods:
                if sources & body_sources:
                    with_bodies.append(f"{method} {route.key}")
                    if (method, route.key) not in API_BODIES:
                        missing_bodies.append(f"{method} {route.key}")
    assert missing_bodies == [], f"Add a plausible body to API_BODIES for: {missing_bodies}"
    assert len(with_bodies) >= 20, with_bodies
    assert len(api) >= 50, len(api)
    assert len([r for r in pages if not set(r.namespaces) & set(NAMESPACES_ALLOWED)]) >= 45


def test_strangers_get_404_and_visitors_are_turned_away(
    record_property: Callable[[str, object], None],
) -> None:
    ask = Asker(World())
    api, pages = Tally("API"), Tally("pages")
    _run(ask, API_MATRIX, api)
    _run(ask, PAGE_MATRIX, pages)
    for tally in (api, pages):
        print(f"\n{tally.summary()}")
        record_property("access_matrix", tally.summary())
    failures = [line for t in (api, pages) if t.failures for line in (t.summary(), *t.failures)]
    assert failures == [], "\n".join(failures)
    assert api.tries >= 350, api.summary()
    assert pages.tries >= 400, pages.summary()

from __future__ import annotations

from openlance.accounts.api import router as accounts_router
from openlance.accounts.api import tokens_router, verification_router
from openlance.accounts.auth import BearerTokenAuth, SessionAuth
from openlance.api.errors import install_error_handlers
from openlance.api.schema import OpenlanceAPI
from openlance.billing.api import cards_router, fees_router, payouts_router, wallet_router
from openlance.billing.connects_api import router as connects_router
from openlance.contracts.api import contracts_router, milestones_router
from openlance.contracts.hourly.api import router as hourly_router
from openlance.contracts.offers.api import router as offers_router
from openlance.contracts.payments.api import router as bonuses_router
from openlance.core.api import router as policies_router
from openlance.core.apitools import ApiJSONRenderer
from openlance.disputes.api import router as disputes_router
from openlance.insights.api import gigmath_router
from openlance.insights.api import router as clients_router
from openlance.jobs.api import JobOut
from openlance.jobs.api import router as jobs_router
from openlance.jobs.api import search_router as job_search_router
from openlance.messaging.api import router as conversations_router
from openlance.notifications.api import router as notifications_router
from openlance.profiles.api import router as profiles_router
from openlance.profiles.api import search_router as freelancer_search_router
from openlance.proposals.api import invitations_router, job_detail
from openlance.proposals.api import router as proposals_router
from openlance.reputation.api import router as reputation_router
from openlance.reviews.api import router as reviews_router
from openlance.saved.api import router as saved_router

api = OpenlanceAPI(
    title="Openlance API",
    version="1",
    description=(
        "The Openlance marketplace API. Authenticate with a personal access token "
        "(`Authorization: Bearer olp_…`) or the browser session (with CSRF). Money is "
        '`{"amount": "123.45", "currency": "USD"}`; times are ISO 8601 UTC; errors are '
        "`application/problem+json`. Money-moving POSTs accept an `Idempotency-Key` header."
    ),
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    renderer=ApiJSONRenderer(),
)
install_error_handlers(api)
# The post's own path takes its other methods from the jobs router, so its GET must be on
# that router too; it is written with proposals, which know who was invited.
jobs_router.add_api_operation(
    "/jobs/{job_id}", ["GET"], job_detail, response=JobOut, auth=None, summary="A job post"
)

api.add_router("/v1/", accounts_router)
api.add_router("/v1/", saved_router)
api.add_router("/v1/", notifications_router)
api.add_router("/v1/", tokens_router)
api.add_router("/v1/", wallet_router)
api.add_router("/v1/", payouts_router)
api.add_router("/v1/", cards_router)
api.add_router("/v1/", fees_router)
api.add_router("/v1/", connects_router)
api.add_router("/v1/", policies_router)
api.add_router("/v1/", profiles_router)
api.add_router("/v1/", clients_router)
api.add_router("/v1/", gigmath_router)
api.add_router("/v1/", verification_router)
api.add_router("/v1/", jobs_router)
api.add_router("/v1/", freelancer_search_router)
api.add_router("/v1/", job_search_router)
api.add_router("/v1/", conversations_router)
api.add_router("/v1/", proposals_router)
api.add_router("/v1/", invitations_router)
api.add_router("/v1/", offers_router)
api.add_router("/v1/", contracts_router)
api.add_router("/v1/", milestones_router)
api.add_router("/v1/", hourly_router)
api.add_router("/v1/", bonuses_router)
api.add_router("/v1/", reviews_router)
api.add_router("/v1/", reputation_router)
api.add_router("/v1/", disputes_router)

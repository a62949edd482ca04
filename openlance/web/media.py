"""Uploaded files, served by Django with a rule per folder, in production as in
development (no web server serves MEDIA_ROOT directly). Deny by default: a file is served
only when a record points at it and the viewer may see that record; everything else,
including any path that is not already in normal form, is a 404."""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from openlance.accounts.models import LocationVerification, User
from openlance.accounts.selectors import is_verifier
from openlance.core.errors import NotFound
from openlance.jobs.models import JobAttachment
from openlance.profiles.models import Freelancer, PortfolioItem
from openlance.profiles.selectors import Access, profile_access
from openlance.proposals.models import ProposalAttachment
from openlance.proposals.selectors import job_for_freelancer

Viewer = User | AnonymousUser


def _is_verifier(viewer: Viewer) -> bool:
    return isinstance(viewer, User) and is_verifier(user=viewer)


def _photo(viewer: Viewer, name: str) -> bool:
    # A private profile opened by link still shows its photo; a members-only one does not
    # show anything to visitors who are not signed in.
    freelancer = Freelancer.objects.filter(photo=name).first()
    return freelancer is not None and (
        profile_access(freelancer=freelancer, viewer=viewer) != Access.SIGN_IN
    )


def _portfolio(viewer: Viewer, name: str) -> bool:
    item = PortfolioItem.objects.select_related("freelancer").filter(image=name).first()
    return item is not None and (
        profile_access(freelancer=item.freelancer, viewer=viewer) == Access.FULL
    )


def _verification(viewer: Viewer, name: str) -> bool:
    if not viewer.is_authenticated:
        return False
    documents = LocationVerification.objects.filter(id_document=name) | (
        LocationVerification.objects.filter(proof_of_address=name)
    )
    if _is_verifier(viewer):
        return documents.exists()
    return documents.filter(user_id=viewer.pk).exists()


def _job_attachment(viewer: Viewer, name: str) -> bool:
    # Whoever may open the post, including a freelancer invited to an invite-only one.
    job_id = JobAttachment.objects.filter(file=name).values_list("job_id", flat=True).first()
    if job_id is None:
        return False
    try:
        job_for_freelancer(job_id=job_id, viewer=viewer)
    except NotFound:
        return False
    return True


def _proposal_attachment(viewer: Viewer, name: str) -> bool:
    # The proposal's freelancer and the post's client only, whatever became of the proposal.
    if not viewer.is_authenticated:
        return False
    return (
        ProposalAttachment.objects.filter(file=name)
        .filter(Q(proposal__freelancer_id=viewer.pk) | Q(proposal__job__client_id=viewer.pk))
        .exists()
    )


RULES: dict[str, tuple[Callable[[Viewer, str], bool], bool]] = {
    # folder: (who may see a file, whether it is a document people upload for others: those
    # are downloaded, never rendered on our domain, since a PDF's bytes are kept as sent)
    "photos": (_photo, False),
    "portfolio": (_portfolio, False),
    "verification": (_verification, True),
    "jobs": (_job_attachment, True),
    "proposals": (_proposal_attachment, True),
}


@require_GET
def media(request: HttpRequest, name: str) -> FileResponse:
    normal = posixpath.normpath(name)
    if normal != name or name.startswith(("/", ".")) or "\\" in name or "\0" in name:
        raise Http404("No such file.")
    folder = name.split("/", 1)[0]
    rule = RULES.get(folder)
    if rule is None:
        raise Http404("No such file.")
    allowed, is_document = rule
    if not allowed(request.user, name):
        raise Http404("No such file.")
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Visibility can change at any moment (a profile goes private), so no shared cache may
    # keep a copy; the viewer's own browser may, briefly, for images.
    response["Cache-Control"] = "private, no-store" if is_document else "private, max-age=300"
    if is_document:
        response["Content-Disposition"] = f'attachment; filename="{posixpath.basename(name)}"'
        response["Content-Security-Policy"] = "sandbox"
    return response

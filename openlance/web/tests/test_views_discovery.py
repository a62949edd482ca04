"""Pages that mix features: the dashboard, search pages, protected media, and the operator
console's verifier queue and job moderation."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from openlance.accounts.models import AuditLogEntry, LocationVerification, User, VerificationStatus
from openlance.accounts.services import location_verification_submit
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.tests.files import pdf_upload, png_upload
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.models import Visibility
from openlance.profiles.tests.factories import freelancer_with_profile, specialized_profile

pytestmark = pytest.mark.django_db


def verifier():
    user = User.objects.create_user("verifier@example.com", "x", is_staff=True)
    user.groups.add(Group.objects.get(name="Verifier"))
    return user


def waiting_request(user=None, city="Austin"):
    return location_verification_submit(
        user=user or freelancer_user(),
        country="US",
        city=city,
        id_document=pdf_upload("passport.pdf"),
        proof_of_address=png_upload("bill.png"),
    )


# --- dashboard and navigation ------------------------------------------------------------


def test_freelancer_dashboard_shows_completeness_and_verification(client):
    user = freelancer_user()
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Start your profile" in html
    assert "Not verified" in html
    client.get("/profile/edit/")
    waiting_request(user)
    html = client.get("/").content.decode()
    assert "% complete" in html
    assert "waiting for review" in html
    assert "Find work" in html
    assert "/profile/edit/" in html


def test_client_navigation_and_dashboard(client):
    client.force_login(client_user())
    html = client.get("/").content.decode()
    for link in ["Find talent", "Post a job", "My jobs", "/client/profile/edit/"]:
        assert link in html
    assert "0 open" in html


def test_visitor_navigation_offers_both_searches(client):
    html = client.get("/").content.decode()
    assert "/search/jobs/" in html
    assert "/search/freelancers/" in html


# --- search pages ------------------------------------------------------------------------


def test_find_talent_filters_by_verified_us_location_and_shows_honest_scores(client):
    verified = freelancer_with_profile(
        title="Content writing for SaaS",
        skills=["Content Writing"],
        verified_country="US",
        overview="I write " * 60,
    )
    freelancer_with_profile(title="Content writing in Spanish", country="US")
    freelancer_with_profile(title="Content writing, private", visibility=Visibility.PRIVATE)
    html = client.get("/search/freelancers/", {"q": "content writing"}).content.decode()
    assert "2 freelancers" in html
    assert "private" not in html
    assert "No score yet" in html
    us = client.get("/search/freelancers/", {"q": "content writing", "us_only": "on"})
    html = us.content.decode()
    assert "1 freelancer " in html
    assert "Content writing for SaaS" in html
    assert "✓ United States of America" in html
    assert f"/freelancers/{verified.freelancer.user_id}/" in html
    assert "<html" in html


def test_a_find_talent_card_shows_the_profile_and_its_freelancer(client):
    """Each part of a talent card, read as plain data and drawn by Jinja2: name and link,
    rate, title, score, location, earnings, badges, teaser, skills, the avatar's initials,
    and "Invite to job" for a client other than the freelancer."""
    known = freelancer_with_profile(
        user=freelancer_user(first_name="Ada", last_name="Lovelace"),
        title="Data <b>analyst</b> & writer",
        overview="Forty years of notes on engines. " * 10,
        skills=["Content Writing"],
        hourly_rate_cents=8_500,
        jss_percent=96,
        total_earned_cents=1_234_500,
        badges=["top_rated", "rising_talent"],
        verified_country="GB",
    )
    specialized_profile(known.freelancer, title="Data analyst for engines", hourly_rate_cents=None)
    freelancer_with_profile(
        user=freelancer_user(first_name="", last_name="", email="zed@example.com"),
        title="",
        overview="Data analyst, new here.",
        country="FR",
    )
    html = " ".join(
        client.get("/search/freelancers/", {"q": "data analyst"}).content.decode().split()
    )
    ada = known.freelancer.user_id
    assert f'<a href="/freelancers/{ada}/">Ada L.</a>' in html
    assert f'<a href="/freelancers/{ada}/?profile=' in html  # the specialized profile
    assert '<span class="rate">$85.00/hr</span>' in html
    assert "No rate" in html
    assert "Data &lt;b&gt;analyst&lt;/b&gt; &amp; writer" in html
    assert "96% Job Success" in html
    assert "✓ United Kingdom" in html
    assert "$12,345.00 earned" in html
    assert html.index('data-testid="badge-rising_talent"') < html.index(
        'data-testid="badge-top_rated"'
    )
    assert f'href="{reverse("badge_criteria")}#top_rated"' in html
    assert "Forty years of notes on engines." in html
    assert '<span class="chip">Content Writing</span>' in html
    assert ">AL</span>" in html
    assert "(no title yet)" in html
    assert "France (unverified)" in html
    assert ">Z</span>" in html  # no name: the email's first letter
    assert "No score yet" in html
    assert "Invite to job" not in html  # anonymous

    client.force_login(client_user())
    html = client.get("/search/freelancers/", {"q": "data analyst"}).content.decode()
    assert html.count("Invite to job") == 3
    assert f'href="{reverse("invitation_new", args=[ada])}"' in html
    ada_account = known.freelancer.user
    client.force_login(ada_account)
    html = client.get("/search/freelancers/", {"q": "data analyst"}).content.decode()
    assert "Invite to job" not in html  # a freelancer does not invite
    ada_account.is_client, ada_account.active_role = True, "client"
    ada_account.save(update_fields=["is_client", "active_role"])
    html = client.get("/search/freelancers/", {"q": "data analyst"}).content.decode()
    assert html.count("Invite to job") == 1  # Zed, not Ada's own two profiles


def test_find_talent_answers_htmx_with_the_results_only(client):
    freelancer_with_profile(title="Django developer")
    response = client.get("/search/freelancers/", {"q": "django"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Django developer" in html


def test_find_talent_empty_state_and_bad_filters(client):
    html = client.get("/search/freelancers/", {"q": "zzzunknown"}).content.decode()
    assert "No freelancers match" in html
    html = client.get("/search/freelancers/", {"rate_min": "abc"}).content.decode()
    assert "Check the filters" in html
    assert "Enter dollars and cents" in html


def test_find_talent_paginates(client):
    for n in range(22):
        freelancer_with_profile(title=f"Python developer {n}")
    html = client.get("/search/freelancers/", {"q": "python"}).content.decode()
    assert "Page 1 of 2" in html
    assert "page=2" in html
    html = client.get("/search/freelancers/", {"q": "python", "page": 2}).content.decode()
    assert "Page 2 of 2" in html


def test_find_work_filters_and_sorts(client):
    job_post(
        client=job_client(country="US", payment_method_verified=True),
        title="Blog posts for a SaaS tool",
        skills=["Content Writing"],
    )
    job_post(title="Logo design", skills=["Logo Design"], budget_type="hourly")
    job_post(title="Draft post", state=JobState.DRAFT)
    html = client.get("/search/jobs/").content.decode()
    assert "2 jobs" in html
    assert "Draft post" not in html
    html = client.get(
        "/search/jobs/", {"q": "blog", "payment_verified": "on", "sort": "newest"}
    ).content.decode()
    assert "Blog posts for a SaaS tool" in html
    assert "Logo design" not in html
    assert "Payment verified" in html
    html = client.get("/search/jobs/", {"budget_types": "hourly"}).content.decode()
    assert "Logo design" in html
    assert "Blog posts" not in html
    assert "No jobs match" in client.get("/search/jobs/", {"q": "zzzz"}).content.decode()


def test_a_find_work_card_shows_the_post_and_its_client(client):
    """Each part of a result card, read as plain data: budget, level, length, proposals,
    skills, the client's verification, spending and country, and where the post is open."""
    job_post(
        client=job_client(country="DE", payment_method_verified=True, total_spent_cents=123_456),
        title="Translate a catalogue",
        description="Forty pages of product copy, German to English. " * 10,
        skills=["Content Writing"],
        experience_level="expert",
        duration="three_to_6_months",
        budget_cents=75_000,
        countries=["US", "CA"],
        proposals_count=7,
    )
    job_post(
        client=client_user(),  # no client profile at all
        title="Translate a menu",
        budget_type="hourly",
        hourly_min_cents=1_500,
        hourly_max_cents=3_000,
    )
    html = " ".join(client.get("/search/jobs/", {"q": "translate"}).content.decode().split())
    assert "Fixed price $750.00</strong> · Expert · 3 to 6 months · 7 proposals" in html
    assert '<span class="chip">Content Writing</span>' in html
    assert "✓ Payment verified" in html
    assert "$1,234.56 spent" in html
    assert ">Germany<" in html
    assert "CA, US only" in html
    assert "Forty pages of product copy" in html
    assert (
        "Hourly $15.00\u2013$30.00</strong> · Intermediate · Less than 1 month · 0 proposals"
        in html
    )
    assert html.count("Payment unverified") == 1


def test_find_work_cards_escape_what_clients_typed(client):
    """The cards are rendered by Jinja2: a title or description is text, never markup."""
    job_post(
        title='Fix <script>alert("t")</script> & tidy',
        description='Our <img src=x onerror="alert(1)"> gallery needs work. ' * 5,
    )
    html = client.get("/search/jobs/", {"q": "tidy"}).content.decode()
    assert "Fix &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp; tidy" in html
    assert "&lt;img src=x onerror=" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html


def test_how_do_i_rank_explains_and_gives_tips(client):
    profile = freelancer_with_profile(title="Writer", skills=["Copywriting"])
    client.force_login(profile.freelancer.user)
    html = client.get("/profile/rank/", {"q": "content writing"}).content.decode()
    assert "How do I rank for this query?" in html
    assert "Put the service name first in your title" in html
    assert "Add the skill “Content Writing”" in html


# --- protected media ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/media/../settings.py",
        "/media/photos/../verification/x.pdf",
        "/media/photos/./x.jpg",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/photos//x.jpg",
        "/media/other/x.txt",
        "/media/photos/2026/01/missing.jpg",
        "/media/verification",
    ],
)
def test_media_refuses_traversal_unknown_folders_and_unknown_files(client, path):
    client.force_login(User.objects.create_superuser("root@example.com", "x"))
    assert client.get(path).status_code == 404


def test_a_file_without_a_record_is_not_served_even_if_it_exists(client, settings):
    folder = settings.MEDIA_ROOT / "photos"
    folder.mkdir(parents=True)
    (folder / "stray.jpg").write_bytes(b"x")
    assert client.get("/media/photos/stray.jpg").status_code == 404


# --- verifier queue ----------------------------------------------------------------------


def test_queue_lists_waiting_requests_first_and_shows_documents_and_hints(client):
    from openlance.accounts.services import sign_in_hint_record

    first = waiting_request(city="Austin")
    later = waiting_request(city="Denver")
    LocationVerification.objects.filter(pk=later.pk).update(status=VerificationStatus.APPROVED)
    sign_in_hint_record(user=first.user, ip_address="203.0.113.9", country="DE", user_agent="x")
    client.force_login(verifier())
    html = client.get("/admin/accounts/locationverification/").content.decode()
    assert html.index("Austin") < html.index("Denver")
    detail = client.get(f"/admin/accounts/locationverification/{first.pk}/change/")
    html = detail.content.decode()
    assert first.id_document.url in html
    assert "Hints only" in html
    assert "203.0.113.9" in html
    assert "Approve…" in html
    assert client.get(first.id_document.url).status_code == 200


def test_verifier_approves_from_the_detail_page(client):
    request = waiting_request()
    client.force_login(verifier())
    url = f"/admin/accounts/locationverification/{request.pk}/approve/"
    assert "Approve this location?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    request.user.refresh_from_db()
    assert request.user.verified_country.code == "US"
    assert request.user.verified_city == "Austin"
    assert AuditLogEntry.objects.filter(action="verification.approve").exists()


def test_verifier_rejects_with_a_reason_through_the_intermediate_form(client):
    request = waiting_request()
    client.force_login(verifier())
    changelist = "/admin/accounts/locationverification/"
    page = client.post(changelist, {"action": "reject", "_selected_action": [request.pk]})
    assert "Reject the selected requests" in page.content.decode()
    empty = client.post(
        changelist,
        {"action": "reject", "_selected_action": [request.pk], "apply": "1", "reason": ""},
    )
    assert "This field is required." in empty.content.decode()
    request.refresh_from_db()
    assert request.status == VerificationStatus.SUBMITTED
    client.post(
        changelist,
        {
            "action": "reject",
            "_selected_action": [request.pk],
            "apply": "1",
            "reason": "The document is unreadable.",
        },
    )
    request.refresh_from_db()
    assert request.status == VerificationStatus.REJECTED
    assert request.reason == "The document is unreadable."


def test_staff_without_the_verifier_role_cannot_review(client):
    request = waiting_request()
    support = User.objects.create_user("support@example.com", "x", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client.force_login(support)
    assert (
        client.post(f"/admin/accounts/locationverification/{request.pk}/approve/").status_code
        == 403
    )
    assert client.get(request.id_document.url).status_code == 404
    request.refresh_from_db()
    assert request.status == VerificationStatus.SUBMITTED


# --- job moderation ----------------------------------------------------------------------


def test_staff_remove_a_job_with_a_reason(client):
    job = job_post(title="Write my exam")
    client.force_login(User.objects.create_superuser("ops@example.com", "x"))
    changelist = "/admin/jobs/jobpost/"
    assert "Write my exam" in client.get(changelist).content.decode()
    page = client.post(changelist, {"action": "remove", "_selected_action": [job.pk]})
    assert "Remove the selected job posts" in page.content.decode()
    client.post(
        changelist,
        {
            "action": "remove",
            "_selected_action": [job.pk],
            "apply": "1",
            "reason": "Academic dishonesty.",
        },
    )
    job.refresh_from_db()
    assert job.state == JobState.REMOVED
    assert job.removal_reason == "Academic dishonesty."
    assert client.get(f"/admin/jobs/jobpost/{job.pk}/change/").status_code == 200
    assert JobPost.objects.filter(state=JobState.REMOVED).count() == 1

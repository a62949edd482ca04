"""The profile editor, the public profile page and the client profile form, through the
real views."""

import pytest
from django.urls import reverse

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.tests.files import fake_image_upload, pdf_upload, png_upload
from openlance.profiles.models import (
    Employment,
    Freelancer,
    PortfolioItem,
    Profile,
    Visibility,
)
from openlance.profiles.services import HISTORY_KINDS, specialized_profile_create
from openlance.profiles.tests.factories import (
    client_with_profile,
    freelancer_with_profile,
    specialized_profile,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def freelancer(client):
    user = freelancer_user(first_name="Maya", last_name="Lopez")
    client.force_login(user)
    return user


def general_of(user):
    return Profile.objects.get(freelancer__user=user, is_general=True)


# --- the editor -------------------------------------------------------------------------


def test_editor_needs_sign_in(client):
    response = client.get("/profile/edit/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_editor_offers_the_freelancer_role_to_a_client(client):
    client.force_login(client_user())
    response = client.get("/profile/edit/")
    assert response.status_code == 403
    assert 'name="role" value="freelancer"' in response.content.decode()
    assert not Freelancer.objects.exists()


def test_first_visit_opens_the_profile_and_shows_what_is_missing(client, freelancer):
    response = client.get("/profile/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert Freelancer.objects.filter(user=freelancer).exists()
    assert "Profile 0% complete" in html
    assert "A profile photo" in html
    assert "At least 3 skills" in html
    assert "No specialized profiles yet." in html
    assert "No portfolio items yet." in html
    assert "Maya L." in html
    assert 'name="skills" value="content-writing"' in html  # the grouped skill picker


def test_general_profile_saves_title_rate_in_cents_and_skills(client, freelancer):
    response = client.post(
        "/profile/edit/general/",
        {
            "title": "Content writing for SaaS",
            "overview": "I write.",
            "hourly_rate": "$45.50",
            "skills": ["content-writing", "copywriting"],
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/profile/edit/#general")
    profile = general_of(freelancer)
    assert profile.title == "Content writing for SaaS"
    assert profile.hourly_rate_cents == 4550
    assert sorted(profile.skills.values_list("slug", flat=True)) == [
        "content-writing",
        "copywriting",
    ]
    html = client.get("/profile/edit/").content.decode()
    assert 'value="45.50"' in html
    assert "Your general profile is saved." in html


def test_rate_below_the_minimum_is_refused_on_its_field_and_nothing_changes(client, freelancer):
    client.get("/profile/edit/")
    response = client.post(
        "/profile/edit/general/",
        {"title": "Writer", "overview": "", "hourly_rate": "2.00", "skills": []},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_hourly_rate_errors"' in html
    assert "Between $3.00 and $1,000.00 an hour." in html
    assert general_of(freelancer).title == ""


def test_rate_that_is_not_money_is_a_field_error(client, freelancer):
    response = client.post("/profile/edit/general/", {"title": "x", "hourly_rate": "12.345"})
    assert response.status_code == 422
    assert "Enter dollars and cents" in response.content.decode()


def test_more_than_15_skills_are_refused(client, freelancer):
    from openlance.catalog.models import Skill

    slugs = list(Skill.objects.values_list("slug", flat=True)[:16])
    response = client.post("/profile/edit/general/", {"title": "x", "skills": slugs})
    assert response.status_code == 422
    assert "At most 15 skills." in response.content.decode()
    assert not general_of(freelancer).skills.exists()


def test_settings_save_location_time_zone_and_visibility(client, freelancer):
    response = client.post(
        "/profile/edit/settings/",
        {
            "country": "US",
            "city": "Austin",
            "time_zone": "America/Chicago",
            "availability": "full_time",
            "available_now": "on",
            "english_level": "native",
            "visibility": "members",
            "intro_video_url": "https://video.example.com/me",
        },
    )
    assert response.status_code == 302
    saved = Freelancer.objects.get(user=freelancer)
    assert (saved.country.code, saved.city, saved.time_zone) == ("US", "Austin", "America/Chicago")
    assert saved.visibility == Visibility.MEMBERS
    assert saved.available_now is True


def test_settings_refuse_an_unknown_time_zone_in_place(client, freelancer):
    client.get("/profile/edit/")
    response = client.post(
        "/profile/edit/settings/",
        {"time_zone": "Mars/Olympus", "availability": "part_time", "visibility": "public"},
    )
    assert response.status_code == 422
    assert 'id="id_time_zone_errors"' in response.content.decode()
    assert Freelancer.objects.get(user=freelancer).time_zone == ""


def test_the_time_zone_picker_offers_current_names_grouped_by_region(client, freelancer):
    page = client.get("/profile/edit/").content.decode()
    assert '<optgroup label="America">' in page
    assert (
        '<option value="America/Argentina/Buenos_Aires">Argentina — Buenos Aires</option>' in page
    )
    assert '<option value="Asia/Kolkata">Kolkata</option>' in page
    for legacy in ("US/Eastern", "Asia/Calcutta", "EST5EDT", "Etc/GMT+5"):
        assert f'value="{legacy}"' not in page
    Freelancer.objects.filter(user=freelancer).update(time_zone="US/Eastern")
    page = client.get("/profile/edit/").content.decode()
    assert '<option value="US/Eastern" selected>US/Eastern (an older name)</option>' in page


def test_photo_upload_is_reencoded_and_served_publicly(client, freelancer):
    response = client.post("/profile/edit/photo/", {"photo": png_upload()})
    assert response.status_code == 302
    photo = Freelancer.objects.get(user=freelancer).photo
    assert photo.name.startswith("photos/")
    client.logout()
    served = client.get(photo.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("upload", [fake_image_upload, pdf_upload])
def test_photo_that_is_not_an_image_is_refused_and_nothing_changes(client, freelancer, upload):
    client.get("/profile/edit/")
    response = client.post("/profile/edit/photo/", {"photo": upload()})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_photo_errors"' in html
    assert "Not a JPEG, PNG, WebP or GIF image." in html
    assert not Freelancer.objects.get(user=freelancer).photo


def test_oversize_photo_is_refused_in_place(client, freelancer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.get("/profile/edit/")
    big = SimpleUploadedFile("big.png", b"\0" * (5 * 1024 * 1024 + 1), content_type="image/png")
    response = client.post("/profile/edit/photo/", {"photo": big})
    assert response.status_code == 422
    assert "At most 5 MB." in response.content.decode()
    assert not Freelancer.objects.get(user=freelancer).photo


def test_specialized_profiles_create_edit_delete_with_portfolio_selection(client, freelancer):
    client.get("/profile/edit/")
    client.post(
        "/profile/edit/portfolio/new/",
        {"title": "SaaS blog", "link": "https://blog.example.com", "skills": ["content-writing"]},
    )
    item = PortfolioItem.objects.get()
    assert client.get("/profile/edit/specialized/new/").status_code == 200
    response = client.post(
        "/profile/edit/specialized/new/",
        {
            "title": "Technical writing",
            "hourly_rate": "60",
            "skills": ["technical-writing"],
            "portfolio_items": [item.pk],
        },
    )
    assert response.status_code == 302
    special = Profile.objects.get(freelancer__user=freelancer, is_general=False)
    assert list(special.portfolio_items.all()) == [item]
    assert special.hourly_rate_cents == 6000

    page = client.get(f"/profile/edit/specialized/{special.pk}/")
    assert 'value="Technical writing"' in page.content.decode()
    client.post(
        f"/profile/edit/specialized/{special.pk}/",
        {"title": "API documentation", "hourly_rate": "70", "portfolio_items": []},
    )
    special.refresh_from_db()
    assert special.title == "API documentation"
    assert not special.portfolio_items.exists()

    client.post(f"/profile/edit/specialized/{special.pk}/delete/")
    assert not Profile.objects.filter(pk=special.pk).exists()


def test_a_third_specialized_profile_is_refused_above_the_form(client, freelancer):
    row = Freelancer.objects.get(pk=client.get("/profile/edit/").context["freelancer"].pk)
    for title in ("One", "Two"):
        specialized_profile_create(
            freelancer=row, title=title, overview="", hourly_rate_cents=None, skill_slugs=[]
        )
    response = client.post("/profile/edit/specialized/new/", {"title": "Three"})
    assert response.status_code == 422
    assert "You already have 2 specialized profiles." in response.content.decode()
    assert Profile.objects.filter(freelancer=row, is_general=False).count() == 2


def test_someone_elses_specialized_profile_is_a_404(client, freelancer):
    other = freelancer_with_profile()
    theirs = specialized_profile(other.freelancer, title="Theirs")
    assert client.get(f"/profile/edit/specialized/{theirs.pk}/").status_code == 404
    assert client.post(f"/profile/edit/specialized/{theirs.pk}/delete/").status_code == 404
    assert Profile.objects.filter(pk=theirs.pk).exists()


def test_portfolio_item_with_image_then_edit_then_delete(client, freelancer):
    client.get("/profile/edit/")
    response = client.post(
        "/profile/edit/portfolio/new/",
        {"title": "Landing page", "description": "Copy", "image": png_upload()},
    )
    assert response.status_code == 302
    item = PortfolioItem.objects.get()
    assert item.image.name.startswith("portfolio/")
    client.post(f"/profile/edit/portfolio/{item.pk}/", {"title": "Landing page v2"})
    item.refresh_from_db()
    assert item.title == "Landing page v2"
    assert item.image  # kept when no new image is sent
    client.post(f"/profile/edit/portfolio/{item.pk}/delete/")
    assert not PortfolioItem.objects.exists()


def test_portfolio_item_without_image_or_link_is_refused(client, freelancer):
    client.get("/profile/edit/")
    response = client.post("/profile/edit/portfolio/new/", {"title": "Nothing to see"})
    assert response.status_code == 422
    assert "Add an image or a link." in response.content.decode()
    assert not PortfolioItem.objects.exists()


def test_portfolio_item_with_a_bad_image_is_refused(client, freelancer):
    client.get("/profile/edit/")
    response = client.post(
        "/profile/edit/portfolio/new/", {"title": "Fake", "image": fake_image_upload()}
    )
    assert response.status_code == 422
    assert 'id="id_image_errors"' in response.content.decode()
    assert not PortfolioItem.objects.exists()


def test_someone_elses_portfolio_item_is_a_404(client, freelancer):
    other = freelancer_with_profile()
    client.force_login(other.freelancer.user)
    client.post("/profile/edit/portfolio/new/", {"title": "Theirs", "link": "https://x.example"})
    item = PortfolioItem.objects.get()
    client.force_login(freelancer)
    assert client.get(f"/profile/edit/portfolio/{item.pk}/").status_code == 404
    assert client.post(f"/profile/edit/portfolio/{item.pk}/delete/").status_code == 404
    assert PortfolioItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    ("kind", "data", "shown"),
    [
        ("assessment", {"name": "English test", "score": "92", "taken_on": "2024-03-01"}, "92/100"),
        (
            "employment",
            {"company": "Acme", "role": "Editor", "started_on": "2020-01-01"},
            "Editor",
        ),
        ("education", {"school": "State University", "degree": "BA"}, "State University"),
        ("other_experience", {"subject": "Volunteer", "description": "Newsletters"}, "Volunteer"),
    ],
)
def test_history_entries_are_added_and_removed(client, freelancer, kind, data, shown):
    response = client.post(f"/profile/edit/{kind}/add/", data)
    assert response.status_code == 302
    html = client.get("/profile/edit/").content.decode()
    assert shown in html
    items = HISTORY_KINDS[kind].objects.filter(freelancer__user=freelancer)
    pk = items.get().pk
    removed = client.post(f"/profile/edit/{kind}/{pk}/delete/", headers={"HX-Request": "true"})
    assert removed.status_code == 200
    assert removed.content == b""
    assert not items.exists()


def test_employment_ending_before_it_starts_is_refused_in_place(client, freelancer):
    client.get("/profile/edit/")
    response = client.post(
        "/profile/edit/employment/add/",
        {
            "company": "Acme",
            "role": "Editor",
            "started_on": "2022-01-01",
            "ended_on": "2021-01-01",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_ended_on_errors"' in html
    assert "Ends before it starts." in html
    assert not Employment.objects.exists()


def test_unknown_history_kind_is_a_404(client, freelancer):
    assert client.post("/profile/edit/hobbies/add/", {}).status_code == 404
    assert client.post("/profile/edit/hobbies/1/delete/").status_code == 404


def test_another_freelancers_history_entry_cannot_be_removed(client, freelancer):
    other = freelancer_user()
    client.force_login(other)
    client.post("/profile/edit/other_experience/add/", {"subject": "S", "description": "D"})
    client.force_login(freelancer)
    from openlance.profiles.models import OtherExperience

    entry = OtherExperience.objects.get()
    assert client.post(f"/profile/edit/other_experience/{entry.pk}/delete/").status_code == 404
    assert OtherExperience.objects.filter(pk=entry.pk).exists()


# --- the public profile -----------------------------------------------------------------


def full_profile(**kwargs):
    profile = freelancer_with_profile(
        title="Content writing for SaaS",
        overview="Long-form articles that rank and convert.",
        skills=["Content Writing", "Copywriting"],
        hourly_rate_cents=4500,
        country="US",
        **kwargs,
    )
    user = profile.freelancer.user
    user.first_name, user.last_name = "Maya", "Lopez"
    user.save()
    Freelancer.objects.filter(pk=profile.freelancer.pk).update(city="Austin")
    return profile


def test_public_profile_shows_everything_with_honest_empty_states(client):
    profile = full_profile()
    html = client.get(f"/freelancers/{profile.freelancer.user_id}/").content.decode()
    assert "Maya L." in html
    assert "Lopez" not in html
    assert "Content writing for SaaS" in html
    assert "$45.00" in html
    assert "Copywriting" in html
    assert "No score yet" in html
    assert "0%" not in html
    assert "No completed contracts yet." in html
    assert "Austin, United States of America" in html
    assert "Unverified" in html


def test_public_profile_shows_the_verified_location_with_a_badge(client):
    profile = full_profile(verified_country="CA")
    user = profile.freelancer.user
    user.verified_city = "Toronto"
    user.save()
    html = client.get(f"/freelancers/{user.pk}/").content.decode()
    assert "Toronto, Canada" in html
    assert "Verified location" in html
    assert "Unverified" not in html


def test_public_profile_shows_a_score_when_there_is_one(client):
    profile = full_profile(jss_percent=94)
    html = client.get(f"/freelancers/{profile.freelancer.user_id}/").content.decode()
    assert "94% Job Success" in html


def test_private_profile_by_link_shows_only_the_limited_fields(client):
    profile = full_profile(visibility=Visibility.PRIVATE)
    client.force_login(client_user())
    response = client.get(f"/freelancers/{profile.freelancer.user_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ["Maya L.", "Content writing for SaaS", "$45.00", "Austin"]:
        assert shown in html
    for hidden in ["Long-form articles", "Copywriting", "Work history", "No score yet"]:
        assert hidden not in html
    assert "This profile is private" in html


def test_members_only_profile_asks_visitors_to_sign_in(client):
    profile = full_profile(visibility=Visibility.MEMBERS)
    html = client.get(f"/freelancers/{profile.freelancer.user_id}/").content.decode()
    assert "Sign in to see this profile" in html
    assert "Maya" not in html
    assert "Content writing" not in html
    client.force_login(client_user())
    html = client.get(f"/freelancers/{profile.freelancer.user_id}/").content.decode()
    assert "Long-form articles" in html


def test_owner_sees_their_private_profile_in_full(client):
    profile = full_profile(visibility=Visibility.PRIVATE)
    client.force_login(profile.freelancer.user)
    html = client.get(f"/freelancers/{profile.freelancer.user_id}/").content.decode()
    assert "Long-form articles" in html
    assert "This is your profile as others see it" in html


def test_specialized_profile_is_shown_with_a_switch(client):
    profile = full_profile()
    special = specialized_profile(
        profile.freelancer, title="Technical writing", hourly_rate_cents=7000
    )
    url = f"/freelancers/{profile.freelancer.user_id}/"
    html = client.get(url, {"profile": special.pk}).content.decode()
    assert "Technical writing" in html
    assert "$70.00" in html
    assert f'href="?profile={profile.pk}"' in html
    assert client.get(url, {"profile": 999999}).status_code == 404


def test_unknown_or_deactivated_freelancer_is_a_404(client):
    assert client.get("/freelancers/999999/").status_code == 404
    profile = full_profile()
    profile.freelancer.user.is_active = False
    profile.freelancer.user.save()
    assert client.get(f"/freelancers/{profile.freelancer.user_id}/").status_code == 404


# --- the client profile ------------------------------------------------------------------


def test_client_profile_is_edited_and_shown_with_honest_signals(client):
    user = client_user(first_name="Ann", last_name="Chen")
    client.force_login(user)
    assert client.get("/client/profile/edit/").status_code == 200
    response = client.post(
        "/client/profile/edit/",
        {
            "company_name": "Acme Analytics",
            "country": "US",
            "city": "Boston",
            "time_zone": "America/New_York",
            "website": "https://acme.example",
            "description": "We make dashboards.",
        },
    )
    assert response.status_code == 302
    html = client.get(f"/clients/{user.pk}/").content.decode()
    assert "Acme Analytics" in html
    assert "Boston, United States of America" in html
    assert "We make dashboards." in html
    assert "Payment method not verified" in html
    assert "No reviews yet" in html
    assert html.count("None yet") >= 3  # total spent, hire rate, average rate, hours
    assert "No open jobs right now." in html


def test_client_profile_refuses_a_bad_website_in_place(client):
    client.force_login(client_user())
    response = client.post("/client/profile/edit/", {"website": "ftp://acme.example"})
    assert response.status_code == 422
    assert 'id="id_website_errors"' in response.content.decode()


def test_client_profile_form_needs_the_client_role(client):
    client.force_login(freelancer_user())
    assert client.get("/client/profile/edit/").status_code == 403


@pytest.mark.parametrize(
    ("name", "method", "role"),
    [
        ("history_add", "post", "freelancer"),
        ("invitation_new", "get", "client"),
        ("offer_new_direct", "get", "client"),
    ],
)
def test_pages_naming_no_object_of_yours_offer_the_role(client, name, method, role):
    """Their URL has an argument, a section of your own profile or the freelancer you invite
    or hire, but names nothing of yours: without the role they offer it, not a 404."""
    other = freelancer_with_profile().freelancer.user
    caller = client_user() if role == "freelancer" else freelancer_user()
    client.force_login(caller)
    arg = "employment" if name == "history_add" else other.pk
    response = getattr(client, method)(reverse(name, args=[arg]))
    assert response.status_code == 403
    assert f'name="role" value="{role}"' in response.content.decode()
    assert not Employment.objects.exists()


def test_pages_about_one_of_your_objects_stay_a_404_without_the_role(client):
    client.force_login(client_user())
    response = client.post(reverse("history_delete", args=["employment", 1]))
    assert response.status_code == 404


def test_client_page_of_a_non_client_is_a_404(client):
    assert client.get(f"/clients/{freelancer_user().pk}/").status_code == 404
    assert client.get(f"/clients/{client_with_profile().user_id}/").status_code == 200

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.tests.files import fake_image_upload, png_upload
from openlance.profiles.models import ClientProfile, Freelancer, Profile, Visibility
from openlance.profiles.selectors import profile_completeness
from openlance.profiles.services import (
    TIME_ZONES,
    Earnings,
    assessment_add,
    client_payment_method_verify,
    client_profile_start,
    client_profile_update,
    client_spending_record,
    education_add,
    employment_add,
    freelancer_earnings_record,
    freelancer_score_record,
    freelancer_set_photo,
    freelancer_start,
    freelancer_update,
    history_item_delete,
    other_experience_add,
    portfolio_item_delete,
    portfolio_item_save,
    profile_update,
    specialized_profile_create,
    specialized_profile_delete,
)

pytestmark = pytest.mark.django_db

LOCATION = {
    "country": "us",
    "city": "Austin",
    "time_zone": "America/Chicago",
    "intro_video_url": "https://video.example.com/me",
    "availability": "full_time",
    "available_now": True,
    "english_level": "native",
    "visibility": "public",
}


def _general(freelancer):
    return freelancer.profiles.get(is_general=True)


def test_start_creates_one_general_profile_once():
    user = freelancer_user()
    freelancer = freelancer_start(user=user)
    assert freelancer_start(user=user).pk == freelancer.pk
    assert list(freelancer.profiles.values_list("is_general", flat=True)) == [True]
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(
            freelancer=freelancer,
            is_general=True,
            created_at=freelancer.created_at,
            updated_at=freelancer.created_at,
        )


def test_clients_cannot_start_a_freelancer_profile():
    with pytest.raises(InvalidInput):
        freelancer_start(user=client_user())


def test_update_who_you_are():
    freelancer = freelancer_start(user=freelancer_user())
    freelancer_update(freelancer=freelancer, **LOCATION)
    freelancer.refresh_from_db()
    assert (freelancer.country.code, freelancer.time_zone, freelancer.english_level) == (
        "US",
        "America/Chicago",
        "native",
    )


def test_updating_a_stale_copy_keeps_what_others_wrote_since():
    stale = freelancer_start(user=freelancer_user())
    current = Freelancer.objects.get(pk=stale.pk)
    earned_at = clock.now() - timedelta(days=3)
    earnings = Earnings(total_earned_cents=120_000, total_jobs=3, last_earned_at=earned_at)
    freelancer_earnings_record(user=current.user, count=lambda: earnings)
    freelancer_score_record(user=current.user, jss_percent=92)
    # Hours and badges have writers in features of their own (hourly work, badges); what
    # matters here is only that someone other than this copy wrote them.
    Freelancer.objects.filter(pk=stale.pk).update(total_hours=40, badges=["top_rated"])
    freelancer_set_photo(freelancer=current, upload=png_upload())
    Freelancer.objects.filter(pk=stale.pk).update(made_private_at=earned_at)
    freelancer_update(freelancer=stale, **LOCATION)
    saved = Freelancer.objects.get(pk=stale.pk)
    assert (saved.city, saved.english_level) == ("Austin", "native")
    assert (saved.jss_percent, saved.total_earned_cents, saved.total_jobs) == (92, 120_000, 3)
    assert (saved.total_hours, saved.badges, saved.last_earned_at) == (40, ["top_rated"], earned_at)
    assert saved.made_private_at == earned_at
    assert saved.photo.name == current.photo.name
    assert _general(saved).total_earned_cents == 120_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "QQ"}, "country"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "US/Eastern"}, "time_zone"),  # a legacy alias
        ({"time_zone": "Asia/Calcutta"}, "time_zone"),  # renamed to Asia/Kolkata
        ({"time_zone": "EST5EDT"}, "time_zone"),
        ({"intro_video_url": "javascript:alert(1)"}, "intro_video_url"),
        ({"availability": "sometimes"}, "availability"),
        ({"english_level": "klingon"}, "english_level"),
        ({"visibility": "everyone"}, "visibility"),
    ],
)
def test_bad_settings_change_nothing(change, field):
    freelancer = freelancer_start(user=freelancer_user())
    with pytest.raises(InvalidInput) as refused:
        freelancer_update(freelancer=freelancer, **{**LOCATION, **change})
    assert field in refused.value.field_errors
    freelancer.refresh_from_db()
    assert not freelancer.country


def test_not_available_is_never_available_now():
    freelancer = freelancer_start(user=freelancer_user())
    freelancer_update(freelancer=freelancer, **{**LOCATION, "availability": "not_available"})
    assert not freelancer.available_now


def test_photo_is_reencoded_and_a_non_image_refused():
    freelancer = freelancer_start(user=freelancer_user())
    freelancer_set_photo(freelancer=freelancer, upload=png_upload())
    assert freelancer.photo.name.endswith(".jpg")
    first = freelancer.photo.name
    with pytest.raises(InvalidInput):
        freelancer_set_photo(freelancer=freelancer, upload=fake_image_upload())
    freelancer.refresh_from_db()
    assert freelancer.photo.name == first


def test_profile_fields_and_skill_limits():
    freelancer = freelancer_start(user=freelancer_user())
    profile = profile_update(
        profile=_general(freelancer),
        title="Content writer for SaaS",
        overview="I write.",
        hourly_rate_cents=4_500,
        skill_slugs=["content-writing", "copywriting", "content-writing"],
    )
    assert sorted(profile.skills.values_list("slug", flat=True)) == [
        "content-writing",
        "copywriting",
    ]
    with pytest.raises(InvalidInput) as unknown:
        profile_update(
            profile=profile,
            title="x",
            overview="",
            hourly_rate_cents=None,
            skill_slugs=["basket-weaving"],
        )
    assert "skills" in unknown.value.field_errors
    from openlance.catalog.models import Skill

    sixteen = list(Skill.objects.values_list("slug", flat=True)[:16])
    with pytest.raises(InvalidInput, match="invalid"):
        profile_update(
            profile=profile, title="x", overview="", hourly_rate_cents=None, skill_slugs=sixteen
        )
    with pytest.raises(InvalidInput):
        profile_update(
            profile=profile, title="x", overview="", hourly_rate_cents=299, skill_slugs=[]
        )
    profile.refresh_from_db()
    assert profile.title == "Content writer for SaaS"
    assert profile.skills.count() == 2


def test_up_to_two_specialized_profiles():
    freelancer = freelancer_start(user=freelancer_user())
    item = portfolio_item_save(
        freelancer=freelancer,
        title="Blog",
        description="",
        link="https://example.com",
        skill_slugs=[],
    )
    first = specialized_profile_create(
        freelancer=freelancer,
        title="SEO blog posts",
        overview="",
        hourly_rate_cents=6_000,
        skill_slugs=["seo-writing"],
        portfolio_item_ids=[item.pk],
    )
    assert list(first.portfolio_items.all()) == [item]
    specialized_profile_create(
        freelancer=freelancer,
        title="Ghostwriting",
        overview="",
        hourly_rate_cents=None,
        skill_slugs=[],
    )
    with pytest.raises(Conflict):
        specialized_profile_create(
            freelancer=freelancer,
            title="Third",
            overview="",
            hourly_rate_cents=None,
            skill_slugs=[],
        )
    with pytest.raises(InvalidInput):
        specialized_profile_create(
            freelancer=freelancer, title=" ", overview="", hourly_rate_cents=None, skill_slugs=[]
        )
    specialized_profile_delete(freelancer=freelancer, profile_id=first.pk)
    assert freelancer.profiles.count() == 2
    with pytest.raises(NotFound):
        specialized_profile_delete(freelancer=freelancer, profile_id=_general(freelancer).pk)


def test_portfolio_selection_only_from_ones_own_items():
    mine = freelancer_start(user=freelancer_user())
    theirs = freelancer_start(user=freelancer_user())
    foreign = portfolio_item_save(
        freelancer=theirs, title="Theirs", description="", link="https://x.example", skill_slugs=[]
    )
    with pytest.raises(InvalidInput):
        specialized_profile_create(
            freelancer=mine,
            title="Mine",
            overview="",
            hourly_rate_cents=None,
            skill_slugs=[],
            portfolio_item_ids=[foreign.pk],
        )
    assert mine.profiles.count() == 1


def test_portfolio_items_need_an_image_or_a_link_and_stay_scoped():
    freelancer = freelancer_start(user=freelancer_user())
    with pytest.raises(InvalidInput):
        portfolio_item_save(
            freelancer=freelancer, title="Nothing", description="", link="", skill_slugs=[]
        )
    item = portfolio_item_save(
        freelancer=freelancer,
        title="Logo",
        description="A logo",
        link="",
        skill_slugs=["logo-design"],
        image=png_upload(),
    )
    assert item.image.name.endswith(".jpg")
    other = freelancer_start(user=freelancer_user())
    with pytest.raises(NotFound):
        portfolio_item_delete(freelancer=other, item_id=item.pk)
    with pytest.raises(NotFound):
        portfolio_item_save(
            freelancer=other,
            title="Hijack",
            description="",
            link="https://x.example",
            skill_slugs=[],
            item_id=item.pk,
        )
    portfolio_item_delete(freelancer=freelancer, item_id=item.pk)
    assert not freelancer.portfolio.exists()


def test_history_entries_validate_and_delete():
    freelancer = freelancer_start(user=freelancer_user())
    assessment = assessment_add(
        freelancer=freelancer, name="English", score=92, taken_on=date(2024, 1, 1)
    )
    employment_add(
        freelancer=freelancer,
        company="Acme",
        role="Writer",
        started_on=date(2020, 1, 1),
        ended_on=None,
    )
    education_add(
        freelancer=freelancer, school="State U", degree="BA", start_year=2010, end_year=2014
    )
    other_experience_add(
        freelancer=freelancer, subject="Volunteering", description="Taught writing"
    )
    with pytest.raises(InvalidInput):
        assessment_add(freelancer=freelancer, name="Math", score=101, taken_on=date(2024, 1, 1))
    with pytest.raises(InvalidInput):
        employment_add(
            freelancer=freelancer,
            company="Acme",
            role="Writer",
            started_on=date(2020, 1, 1),
            ended_on=date(2019, 1, 1),
        )
    with pytest.raises(InvalidInput):
        education_add(freelancer=freelancer, school="State U", start_year=2014, end_year=2010)
    with pytest.raises(InvalidInput):
        assessment_add(freelancer=freelancer, name="Math", score=50, taken_on=date(1, 1, 1))
    with pytest.raises(InvalidInput):
        employment_add(
            freelancer=freelancer,
            company="Acme",
            role="Writer",
            started_on=date(2020, 1, 1),
            ended_on=date(9999, 12, 31),
        )
    with pytest.raises(NotFound):
        history_item_delete(
            freelancer=freelancer_start(user=freelancer_user()),
            kind="assessment",
            item_id=assessment.pk,
        )
    with pytest.raises(NotFound):
        history_item_delete(freelancer=freelancer, kind="hobbies", item_id=1)
    history_item_delete(freelancer=freelancer, kind="assessment", item_id=assessment.pk)
    assert not freelancer.assessments.exists()


def test_completeness_lists_what_is_missing():
    freelancer = freelancer_start(user=freelancer_user())
    empty = profile_completeness(freelancer=freelancer)
    assert empty.percent == 0
    assert "a profile photo" in empty.missing
    freelancer_update(freelancer=freelancer, **LOCATION)
    freelancer_set_photo(freelancer=freelancer, upload=png_upload())
    profile_update(
        profile=_general(freelancer),
        title="Content writer",
        overview="x" * 120,
        hourly_rate_cents=4_000,
        skill_slugs=["content-writing", "copywriting", "editing"],
    )
    portfolio_item_save(
        freelancer=freelancer,
        title="Blog",
        description="",
        link="https://example.com",
        skill_slugs=[],
    )
    assert profile_completeness(freelancer=freelancer).missing == [
        "employment or education history"
    ]
    education_add(freelancer=freelancer, school="State U")
    full = profile_completeness(freelancer=freelancer)
    assert (full.percent, full.missing) == (100, [])


def test_client_profile():
    user = client_user()
    profile = client_profile_start(user=user)
    client_profile_update(
        client_profile=profile,
        company_name="Acme Inc",
        country="US",
        city="Denver",
        time_zone="America/Denver",
        website="https://acme.example",
        description="We make anvils.",
    )
    profile.refresh_from_db()
    assert (profile.company_name, profile.country.code) == ("Acme Inc", "US")
    with pytest.raises(InvalidInput):
        client_profile_update(
            client_profile=profile,
            company_name="",
            country="",
            city="",
            time_zone="",
            website="ftp://x",
            description="",
        )
    with pytest.raises(InvalidInput):
        client_profile_start(user=freelancer_user())


def test_vetting_signals_open_a_clients_profile_and_survive_a_stale_update():
    user = client_user()
    assert not ClientProfile.objects.filter(user=user).exists()
    client_payment_method_verify(user=user)
    stale = ClientProfile.objects.get(user=user)
    client_spending_record(user=user, count=lambda: 12_000)
    client_profile_update(
        client_profile=stale,
        company_name="Acme Inc",
        country="US",
        city="Denver",
        time_zone="America/Denver",
        website="",
        description="",
    )
    saved = ClientProfile.objects.get(user=user)
    assert (saved.company_name, saved.payment_method_verified, saved.total_spent_cents) == (
        "Acme Inc",
        True,
        12_000,
    )
    with pytest.raises(InvalidInput):
        client_spending_record(user=user, count=lambda: -1)
    assert ClientProfile.objects.get(user=user).total_spent_cents == 12_000


def test_vetting_signals_skip_someone_who_is_not_a_client():
    user = freelancer_user()
    assert client_payment_method_verify(user=user) is None
    assert client_spending_record(user=user, count=lambda: 5_000) is None
    assert not ClientProfile.objects.filter(user=user).exists()


def test_visibility_default_is_public():
    assert freelancer_start(user=freelancer_user()).visibility == Visibility.PUBLIC


def test_the_listed_time_zones_are_current_area_city_names():
    assert {"UTC", "America/New_York", "Asia/Kolkata", "Europe/Kyiv"} <= TIME_ZONES
    legacy = {"US/Eastern", "Canada/Pacific", "Asia/Calcutta", "Europe/Kiev", "EST5EDT", "GB"}
    assert not legacy & TIME_ZONES
    assert all(zone == "UTC" or "/" in zone for zone in TIME_ZONES)


def test_an_older_zone_name_a_profile_has_stays_until_changed():
    freelancer = freelancer_start(user=freelancer_user())
    Freelancer.objects.filter(pk=freelancer.pk).update(time_zone="US/Eastern")
    freelancer.refresh_from_db()
    freelancer_update(freelancer=freelancer, **{**LOCATION, "time_zone": "US/Eastern"})
    assert Freelancer.objects.get(pk=freelancer.pk).time_zone == "US/Eastern"
    freelancer_update(freelancer=freelancer, **{**LOCATION, "time_zone": "America/New_York"})
    freelancer.refresh_from_db()
    with pytest.raises(InvalidInput):
        freelancer_update(freelancer=freelancer, **{**LOCATION, "time_zone": "US/Eastern"})

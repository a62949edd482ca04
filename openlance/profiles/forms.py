"""Forms of the profile editor and the client profile. They only parse what people type
(dollars into cents, lists of skills); the rules live in `profiles.services`, whose
refusals are shown on these forms with `add_domain_errors`."""

from __future__ import annotations

from typing import Any

from django import forms

from openlance.catalog.forms import SkillsField
from openlance.core.forms import DollarsField, SearchForm, country_choices
from openlance.core.money import Money
from openlance.profiles.badges import Badge
from openlance.profiles.models import Availability, EnglishLevel, Freelancer, Visibility
from openlance.profiles.services import TIME_ZONES


def time_zone_choices(current: str = "") -> list[tuple[str, Any]]:
    """The listed zones grouped by region ("America" → "Argentina — Buenos Aires"), and the
    zone a profile has already when it is an older name no longer listed."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted(TIME_ZONES - {"UTC"}):
        region, _, place = zone.partition("/")
        regions.setdefault(region, []).append((zone, place.replace("_", " ").replace("/", " — ")))
    choices: list[tuple[str, Any]] = [("", "Choose a time zone"), ("UTC", "UTC")]
    if current and current not in TIME_ZONES:
        choices.append((current, f"{current} (an older name)"))
    return [*choices, *regions.items()]


class TimeZoneForm(forms.Form):
    """A form with the time-zone picker; `time_zone_now` is the profile's zone, offered
    too when it is an older name, so saving other fields keeps it."""

    time_zone = forms.ChoiceField(choices=time_zone_choices, required=False)

    def __init__(self, *args: Any, time_zone_now: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        picker = self.fields["time_zone"]
        assert isinstance(picker, forms.ChoiceField)
        picker.choices = time_zone_choices(time_zone_now)


class PhotoForm(forms.Form):
    # A plain file field: the service judges the content (and re-encodes it), so its
    # message is the one people see.
    photo = forms.FileField(help_text="JPEG, PNG, WebP or GIF, at most 5 MB.")


class FreelancerSettingsForm(TimeZoneForm):
    field_order = ["country", "city", "time_zone"]
    country = forms.ChoiceField(choices=country_choices, required=False)
    city = forms.CharField(max_length=100, required=False)
    availability = forms.ChoiceField(choices=Availability.choices)
    available_now = forms.BooleanField(required=False, label="Available now")
    english_level = forms.ChoiceField(
        choices=[("", "Choose a level"), *EnglishLevel.choices], required=False
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text="Private profiles are hidden from search; a direct link shows only your "
        "first name, last initial, title, photo, rate, city and country.",
    )
    intro_video_url = forms.URLField(
        required=False,
        label="Introduction video",
        assume_scheme="https",
        help_text="A link to a short video of you, e.g. on YouTube or Vimeo.",
    )
    minimum_hourly_rate = DollarsField(
        required=False,
        label="Minimum acceptable hourly rate (USD)",
        help_text="Gig math tells you whether a bid earns at least this per hour, pitching "
        "time included. Only you see it.",
    )

    @classmethod
    def of(cls, freelancer: Freelancer) -> FreelancerSettingsForm:
        return cls(
            time_zone_now=freelancer.time_zone,
            initial={
                "country": freelancer.country.code or "",
                "city": freelancer.city,
                "time_zone": freelancer.time_zone,
                "availability": freelancer.availability,
                "available_now": freelancer.available_now,
                "english_level": freelancer.english_level,
                "visibility": freelancer.visibility,
                "intro_video_url": freelancer.intro_video_url,
                "minimum_hourly_rate": (
                    ""
                    if freelancer.minimum_hourly_rate_cents is None
                    else Money(freelancer.minimum_hourly_rate_cents).amount
                ),
            },
        )


class ProfileForm(forms.Form):
    """The general profile, or a specialized one (which also picks its portfolio)."""

    title = forms.CharField(
        max_length=120,
        required=False,
        help_text="Put the service first, e.g. “Content writing for SaaS”.",
    )
    overview = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
        required=False,
        help_text="The first 250 characters are the teaser shown in search results.",
    )
    hourly_rate = DollarsField(required=False, label="Hourly rate (USD)", help_text="$3 to $1,000.")
    skills = SkillsField(help_text="Up to 15, from the shared skill list.")
    portfolio_items = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Portfolio items shown with this profile",
    )

    def __init__(self, *args: Any, portfolio: list[tuple[int, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if portfolio is None:
            del self.fields["portfolio_items"]
        else:
            self.fields["portfolio_items"].choices = portfolio  # type: ignore[attr-defined]


class PortfolioItemForm(forms.Form):
    title = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    image = forms.FileField(required=False, help_text="JPEG, PNG, WebP or GIF, at most 5 MB.")
    link = forms.URLField(
        required=False, assume_scheme="https", help_text="Where the work can be seen."
    )
    skills = SkillsField()


class AssessmentForm(forms.Form):
    name = forms.CharField(max_length=120, label="Test")
    score = forms.IntegerField(min_value=0, max_value=100, help_text="0 to 100.")
    taken_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Taken on")


class EmploymentForm(forms.Form):
    company = forms.CharField(max_length=120)
    role = forms.CharField(max_length=120)
    started_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    ended_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        label="To",
        help_text="Leave empty if you still work there.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EducationForm(forms.Form):
    school = forms.CharField(max_length=120)
    degree = forms.CharField(max_length=120, required=False)
    field_of_study = forms.CharField(max_length=120, required=False, label="Field of study")
    start_year = forms.IntegerField(required=False, label="From (year)")
    end_year = forms.IntegerField(required=False, label="To (year)")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OtherExperienceForm(forms.Form):
    subject = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


HISTORY_FORMS: dict[str, type[forms.Form]] = {
    "assessment": AssessmentForm,
    "employment": EmploymentForm,
    "education": EducationForm,
    "other_experience": OtherExperienceForm,
}


class ClientProfileForm(TimeZoneForm):
    field_order = ["company_name", "country", "city", "time_zone"]
    company_name = forms.CharField(
        max_length=120,
        required=False,
        label="Company or your name",
        help_text="Shown to freelancers on your job posts.",
    )
    country = forms.ChoiceField(choices=country_choices, required=False)
    city = forms.CharField(max_length=100, required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
        label="About",
    )


BADGE_CHOICES = Badge.choices
JSS_CHOICES = [("", "Any score"), ("80", "80% and up"), ("90", "90% and up")]
EARNED_CHOICES = [
    ("", "Any amount"),
    ("1", "Earned something"),
    ("100000", "$1,000+ earned"),
    ("1000000", "$10,000+ earned"),
]


class FreelancerSearchForm(SearchForm):
    """The "Find talent" filters of SPEC §4.1, all optional."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. content writing"}),
    )
    us_only = forms.BooleanField(required=False, label="US only")
    country = forms.ChoiceField(
        choices=lambda: country_choices("Any country"),
        required=False,
        label="Verified location",
    )
    rate_min = DollarsField(required=False, label="Rate from ($/hr)")
    rate_max = DollarsField(required=False, label="to ($/hr)")
    jss_min = forms.TypedChoiceField(
        choices=JSS_CHOICES, coerce=int, empty_value=None, required=False, label="Job Success"
    )
    earned_min = forms.TypedChoiceField(
        choices=EARNED_CHOICES, coerce=int, empty_value=None, required=False, label="Earned"
    )
    badges = forms.MultipleChoiceField(
        choices=BADGE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    availability = forms.MultipleChoiceField(
        choices=Availability.choices[:2],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Hours per week",
    )
    available_now = forms.BooleanField(required=False, label="Available now")
    english_min = forms.ChoiceField(
        choices=[
            ("", "Any level"),
            *((value, f"{label} or better") for value, label in EnglishLevel.choices),
        ],
        required=False,
        label="English",
    )
    skills = SkillsField()
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    # Where a search refusal (named after the search parameter) is shown on this form.
    FIELD_OF_PARAM = {
        "text": "q",
        "countries": "country",
        "rate_min_cents": "rate_min",
        "rate_max_cents": "rate_max",
        "earned_min_cents": "earned_min",
        "skill_ids": "skills",
    }

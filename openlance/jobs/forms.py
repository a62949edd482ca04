"""The job post form. It parses what a client types (dollars, a country list, one
question per line); `jobs.services` judges the post as a whole and its refusals are shown
on the fields they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django_countries import countries

from openlance.catalog.forms import SkillsField
from openlance.catalog.selectors import categories_all
from openlance.core.forms import DollarsField, FixedChoicesSelect, MultipleFileField, SearchForm
from openlance.core.money import Money
from openlance.jobs.models import (
    MAX_ATTACHMENTS,
    MAX_SCREENING_QUESTIONS,
    BudgetType,
    Duration,
    ExperienceLevel,
    JobPost,
    JobVisibility,
    ProjectSize,
)
from openlance.jobs.search import PROPOSAL_BUCKETS, JobSort
from openlance.jobs.services import JobDraft


def category_choices() -> list[tuple[str, str]]:
    return [("", "Choose a category"), *((c.slug, c.name) for c in categories_all())]


LOCATION_CHOICES = [
    ("anywhere", "Anywhere: freelancers from any country"),
    ("us", "US only"),
    ("countries", "Only these countries…"),
]


class JobPostForm(forms.Form):
    title = forms.CharField(
        max_length=120, help_text="What you need, in a few words: “Blog posts for a SaaS tool”."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10_000,
        help_text="The work, the deliverables and how you will judge them (50+ characters).",
    )
    category = forms.ChoiceField(choices=category_choices)
    skills = SkillsField(help_text="Up to 15; freelancers with these skills find your post first.")
    size = forms.ChoiceField(
        choices=ProjectSize.choices, widget=forms.RadioSelect, label="Project size"
    )
    duration = forms.ChoiceField(
        choices=[("", "Choose a duration"), *Duration.choices], label="Expected duration"
    )
    experience_level = forms.ChoiceField(
        choices=ExperienceLevel.choices, widget=forms.RadioSelect, label="Experience level"
    )
    budget_type = forms.ChoiceField(
        choices=BudgetType.choices, widget=forms.RadioSelect, label="Budget", initial="fixed"
    )
    budget = DollarsField(required=False, label="Fixed budget (USD)")
    hourly_min = DollarsField(required=False, label="From (USD/hr)")
    hourly_max = DollarsField(required=False, label="To (USD/hr)")
    location = forms.ChoiceField(
        choices=LOCATION_CHOICES,
        widget=forms.RadioSelect,
        initial="anywhere",
        label="Where may freelancers be?",
        help_text="A restricted post accepts proposals only from freelancers whose location "
        "in one of these countries is verified.",
    )
    countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (⌘ on a Mac) to pick several.",
    )
    visibility = forms.ChoiceField(
        choices=JobVisibility.choices,
        widget=forms.RadioSelect,
        initial=JobVisibility.PUBLIC,
        label="Who can see it?",
    )
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Screening questions",
        help_text=f"One per line, up to {MAX_SCREENING_QUESTIONS}. Every proposal answers them.",
    )
    attachments = MultipleFileField(
        help_text=f"PDF or images, up to {MAX_ATTACHMENTS} files of 25 MB each.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        location = cleaned.get("location")
        if location == "us":
            cleaned["countries"] = ["US"]
        elif location == "anywhere":
            cleaned["countries"] = []
        elif location == "countries" and not cleaned.get("countries"):
            self.add_error("countries", "Pick at least one country, or choose Anywhere.")
        return cleaned

    def draft(self) -> JobDraft:
        data = self.cleaned_data
        fixed = data["budget_type"] == BudgetType.FIXED
        return JobDraft(
            title=data["title"],
            description=data["description"],
            category_slug=data["category"],
            size=data["size"],
            duration=data["duration"],
            experience_level=data["experience_level"],
            budget_type=data["budget_type"],
            # The hidden half of the budget is ignored, whatever it holds.
            budget_cents=data["budget"] if fixed else None,
            hourly_min_cents=None if fixed else data["hourly_min"],
            hourly_max_cents=None if fixed else data["hourly_max"],
            skill_slugs=data["skills"],
            countries=data["countries"],
            visibility=data["visibility"],
            questions=data["questions"].splitlines(),
        )

    @staticmethod
    def initial_of(job: JobPost) -> dict[str, Any]:
        codes = [country.code for country in job.countries]
        if not codes:
            location = "anywhere"
        elif codes == ["US"]:
            location = "us"
        else:
            location = "countries"

        def dollars(cents: int | None) -> str:
            return Money(cents).amount if cents is not None else ""

        return {
            "title": job.title,
            "description": job.description,
            "category": job.category.slug,
            "skills": [skill.slug for skill in job.skills.all()],
            "size": job.size,
            "duration": job.duration,
            "experience_level": job.experience_level,
            "budget_type": job.budget_type,
            "budget": dollars(job.budget_cents),
            "hourly_min": dollars(job.hourly_min_cents),
            "hourly_max": dollars(job.hourly_max_cents),
            "location": location,
            "countries": codes,
            "visibility": job.visibility,
            "questions": "\n".join(question.text for question in job.questions.all()),
        }


SPENT_CHOICES = [
    ("", "Any"),
    ("1", "Has spent something"),
    ("100000", "$1,000+ spent"),
    ("1000000", "$10,000+ spent"),
]
POSTED_CHOICES = [
    ("", "Any time"),
    ("1", "Last 24 hours"),
    ("3", "Last 3 days"),
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
]


class JobSearchForm(SearchForm):
    """The "Find work" filters of SPEC §4.2, all optional."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. blog posts"}),
    )
    sort = forms.ChoiceField(
        choices=JobSort.choices, required=False, label="Sort by", widget=FixedChoicesSelect
    )
    category = forms.ChoiceField(
        choices=lambda: [("", "Any category"), *category_choices()[1:]], required=False
    )
    skills = SkillsField(help_text="Posts asking for any of these.")
    budget_types = forms.MultipleChoiceField(
        choices=BudgetType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Job type",
    )
    fixed_min = DollarsField(required=False, label="Fixed price from ($)")
    fixed_max = DollarsField(required=False, label="to ($)")
    hourly_min = DollarsField(required=False, label="Hourly from ($/hr)")
    hourly_max = DollarsField(required=False, label="to ($/hr)")
    experience_levels = forms.MultipleChoiceField(
        choices=ExperienceLevel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Experience level",
    )
    durations = forms.MultipleChoiceField(
        choices=Duration.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Duration",
    )
    client_country = forms.ChoiceField(
        choices=lambda: [("", "Any country"), *countries], required=False, label="Client location"
    )
    payment_verified = forms.BooleanField(required=False, label="Payment method verified")
    client_spent_min = forms.TypedChoiceField(
        choices=SPENT_CHOICES, coerce=int, empty_value=None, required=False, label="Client spent"
    )
    posted_within = forms.TypedChoiceField(
        choices=POSTED_CHOICES, coerce=int, empty_value=None, required=False, label="Posted"
    )
    proposals = forms.MultipleChoiceField(
        choices=[(label, label) for label in PROPOSAL_BUCKETS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Number of proposals",
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    # Where a search refusal (named after the search parameter) is shown on this form.
    FIELD_OF_PARAM = {
        "text": "q",
        "category_ids": "category",
        "skill_ids": "skills",
        "fixed_min_cents": "fixed_min",
        "fixed_max_cents": "fixed_max",
        "hourly_min_cents": "hourly_min",
        "hourly_max_cents": "hourly_max",
        "client_countries": "client_country",
        "client_spent_min_cents": "client_spent_min",
        "posted_within_days": "posted_within",
    }

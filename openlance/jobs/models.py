"""Job posts (SPEC §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField

from openlance.catalog.models import Category, Skill

MAX_SCREENING_QUESTIONS = 5
MAX_ATTACHMENTS = 5
MAX_SKILLS = 15


class JobState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED_HIRED = "closed_hired", "Closed (hired)"
    CLOSED_NO_HIRE = "closed_no_hire", "Closed (no hire)"
    EXPIRED = "expired", "Expired"
    REMOVED = "removed", "Removed by staff"


class ProjectSize(models.TextChoices):
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"


class Duration(models.TextChoices):
    LESS_THAN_1_MONTH = "less_than_1_month", "Less than 1 month"
    ONE_TO_3_MONTHS = "one_to_3_months", "1 to 3 months"
    THREE_TO_6_MONTHS = "three_to_6_months", "3 to 6 months"
    MORE_THAN_6_MONTHS = "more_than_6_months", "More than 6 months"


class ExperienceLevel(models.TextChoices):
    ENTRY = "entry", "Entry level"
    INTERMEDIATE = "intermediate", "Intermediate"
    EXPERT = "expert", "Expert"


class BudgetType(models.TextChoices):
    FIXED = "fixed", "Fixed price"
    HOURLY = "hourly", "Hourly"


class JobVisibility(models.TextChoices):
    PUBLIC = "public", "Anyone can find it"
    INVITE_ONLY = "invite_only", "Only freelancers I invite"


class JobPost(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="job_posts"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=10_000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="job_posts")
    skills = models.ManyToManyField(Skill, blank=True, related_name="job_posts")
    size = models.CharField(max_length=16, choices=ProjectSize.choices)
    duration = models.CharField(max_length=24, choices=Duration.choices)
    experience_level = models.CharField(max_length=16, choices=ExperienceLevel.choices)
    budget_type = models.CharField(max_length=8, choices=BudgetType.choices)
    budget_cents = models.BigIntegerField(null=True, blank=True)
    hourly_min_cents = models.BigIntegerField(null=True, blank=True)
    hourly_max_cents = models.BigIntegerField(null=True, blank=True)
    # Empty means anyone; otherwise only freelancers whose verified location is listed.
    countries = CountryField(multiple=True, blank=True)
    visibility = models.CharField(
        max_length=16, choices=JobVisibility.choices, default=JobVisibility.PUBLIC
    )
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.DRAFT)
    proposals_count = models.PositiveIntegerField(default=0)
    # Offers accepted on the post; one is enough for it to end as hired, however it closes.
    hires_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    last_client_activity_at = models.DateTimeField()
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        budget_type="fixed",
                        budget_cents__gte=500,
                        hourly_min_cents__isnull=True,
                        hourly_max_cents__isnull=True,
                    )
                    | models.Q(
                        budget_type="hourly",
                        budget_cents__isnull=True,
                        hourly_min_cents__gte=300,
                        hourly_max_cents__gte=models.F("hourly_min_cents"),
                    )
                ),
                name="job_budget_matches_type",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="removed") | ~models.Q(removal_reason=""),
                name="job_removal_has_reason",
            ),
        ]
        indexes = [
            # Job search walks this in "newest" order and counts from it: with every filter
            # column a post has in it, neither touches the wide rows (the skills, text and
            # client filters are subqueries on other tables, checked against `client` / `id`).
            models.Index(
                fields=[
                    "state",
                    "visibility",
                    "-published_at",
                    "-id",
                    "client",
                    "category",
                    "budget_type",
                    "budget_cents",
                    "hourly_min_cents",
                    "hourly_max_cents",
                    "experience_level",
                    "duration",
                    "proposals_count",
                ],
                name="job_search",
            ),
            models.Index(fields=["state", "last_client_activity_at"], name="job_expiry_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == JobState.OPEN


class ScreeningQuestion(models.Model):
    job = models.ForeignKey(JobPost, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="question_position_unique"),
        ]

    def __str__(self) -> str:
        return self.text


class JobAttachment(models.Model):
    job = models.ForeignKey(JobPost, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="jobs/%Y/%m/")
    name = models.CharField(max_length=200)
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

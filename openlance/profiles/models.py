"""Freelancer and client profiles (SPEC §2).

A freelancer has one `Freelancer` row (who they are: photo, location, availability, English,
visibility, computed statistics) and `Profile` rows (what they sell): exactly one general
profile and up to two specialized ones, each with its own title, overview, rate, skills and
portfolio selection. Search returns profiles.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField

from openlance.catalog.models import Skill
from openlance.profiles.badges import Badge, badges_in_order
from openlance.search.text import teaser as cut_teaser

MAX_SKILLS = 15
MAX_SPECIALIZED = 2
TEASER_LENGTH = 250


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    MEMBERS = "members", "Openlance members only"
    PRIVATE = "private", "Private"


class Availability(models.TextChoices):
    FULL_TIME = "full_time", "More than 30 hrs/week"
    PART_TIME = "part_time", "Less than 30 hrs/week"
    NOT_AVAILABLE = "not_available", "Not available"


class EnglishLevel(models.TextChoices):
    BASIC = "basic", "Basic"
    CONVERSATIONAL = "conversational", "Conversational"
    FLUENT = "fluent", "Fluent"
    NATIVE = "native", "Native or bilingual"


class Freelancer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="freelancer"
    )
    photo = models.ImageField(upload_to="photos/%Y/%m/", blank=True)
    country = CountryField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    intro_video_url = models.URLField(blank=True)
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.PART_TIME
    )
    available_now = models.BooleanField(default=True)
    english_level = models.CharField(max_length=16, choices=EnglishLevel.choices, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # Written by the reputation and contracts features through profile services; null JSS
    # means "no score yet", which is never shown or ranked as 0%.
    jss_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    total_earned_cents = models.BigIntegerField(default=0)
    total_jobs = models.PositiveIntegerField(default=0)
    total_hours = models.PositiveIntegerField(default=0)
    # Slugs of `badges.Badge`, computed by the reputation feature (SPEC §12) and written
    # through `services.freelancer_badges_record`.
    badges = models.JSONField(default=list, blank=True)
    # When money last reached the freelancer (null: never); drives the auto-private rule.
    last_earned_at = models.DateTimeField(null=True, blank=True)
    made_private_at = models.DateTimeField(null=True, blank=True)
    # The least the freelancer wants to earn per hour, fees and pitching time included;
    # gig math judges a bid against it (SPEC §13.1). Null: not set.
    minimum_hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jss_percent__isnull=True) | models.Q(jss_percent__lte=100),
                name="freelancer_jss_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(total_earned_cents__gte=0), name="freelancer_earned_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["visibility", "country"], name="freelancer_vis_country")]

    def __str__(self) -> str:
        return f"Freelancer profile of user {self.user_id}"

    @property
    def badge_list(self) -> list[Badge]:
        """The badges held, as enum members (their `label` is the name shown)."""
        return badges_in_order(self.badges)


class Profile(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="profiles")
    is_general = models.BooleanField(default=True)
    title = models.CharField(max_length=120, blank=True)
    overview = models.TextField(max_length=5000, blank=True)
    hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="profiles")
    portfolio_items: models.ManyToManyField[PortfolioItem, Profile] = models.ManyToManyField(
        "PortfolioItem", blank=True, related_name="profiles"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    # Copies of the owner's fields that search filters and ranks on, so that a search reads
    # this one table (and its full-text index) instead of joining freelancer and user rows
    # for every candidate. Written only by `services.profile_search_fields_sync`, which
    # every writer of the originals calls in its own transaction (profile services
    # directly; lower layers through outbox events handled in `profiles.handlers`). The
    # owner's `is_active` is deliberately not copied: search checks it live. `visibility`
    # is private while the owner does not hold the freelancer role.
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    verified_country = models.CharField(max_length=2, blank=True)
    jss_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    total_earned_cents = models.BigIntegerField(default=0)
    badges = models.JSONField(default=list, blank=True)
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.PART_TIME
    )
    available_now = models.BooleanField(default=True)
    english_level = models.CharField(max_length=16, choices=EnglishLevel.choices, blank=True)
    # The quality factor of the ranking policy as a stored sort key, so that a search without
    # text walks an index in result order instead of computing and sorting every profile's
    # quality. `search_rank` is the dense rank of this profile's quality among every quality
    # the policy can give (a higher rank is a higher quality; equal qualities share a rank),
    # and `search_rank_policy` the id of the ranking `Policy` version it was computed with
    # (null: not computed yet). Search orders by the stored rank only when every candidate
    # row carries the version in force and otherwise by the policy's own expression, so a
    # stale rank never changes a result; `services.profile_search_ranks_run_due` recomputes
    # the ranks once a new version takes effect.
    search_rank = models.PositiveSmallIntegerField(default=0)
    search_rank_policy = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-is_general", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["freelancer"],
                condition=models.Q(is_general=True),
                name="profile_one_general_per_freelancer",
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate_cents__isnull=True)
                | models.Q(hourly_rate_cents__gte=300),
                name="profile_rate_at_least_minimum",
            ),
        ]
        # No index on a filter column alone (the rate had one): without range statistics,
        # SQLite guessed a rate range narrow and read the table row by row from it instead
        # of the covering indexes below, 185 ms instead of 28 for a rate filter at 100,000
        # profiles (`make bench-search`).
        indexes = [
            # Search without text counts from this instead of the wide rows: visibility
            # first, then the JSS (a range for "JSS at least"), the rank's policy version
            # (counted with the results) and every filter column, so counting never
            # touches the table.
            models.Index(
                fields=[
                    "visibility",
                    "jss_percent",
                    "search_rank_policy",
                    "created_at",
                    "id",
                    "freelancer",
                    "hourly_rate_cents",
                    "verified_country",
                    "english_level",
                    "availability",
                    "available_now",
                    "total_earned_cents",
                    "badges",
                ],
                name="profile_search",
            ),
            # ... and picks a page's ids by walking this one backwards, in result order
            # (rank, newest, id) and stopping after the page, checking every filter in the
            # index itself: no sort and no table read. Only valid while every candidate's
            # rank is of the policy in force (see `search_rank`), hence the version in it.
            models.Index(
                fields=[
                    "search_rank",
                    "created_at",
                    "id",
                    "visibility",
                    "search_rank_policy",
                    "freelancer",
                    "hourly_rate_cents",
                    "verified_country",
                    "english_level",
                    "availability",
                    "available_now",
                    "total_earned_cents",
                    "jss_percent",
                    "badges",
                ],
                name="profile_rank",
            ),
            # Finds the profiles whose rank is of another policy version, for the
            # recomputation that follows a policy change (`profile_search_ranks_run_due`).
            models.Index(fields=["search_rank_policy"], name="profile_rank_policy"),
        ]

    def __str__(self) -> str:
        return self.title or f"Profile {self.pk}"

    @property
    def teaser(self) -> str:
        return cut_teaser(self.overview, TEASER_LENGTH)


class PortfolioItem(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="portfolio")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    image = models.ImageField(upload_to="portfolio/%Y/%m/", blank=True)
    link = models.URLField(blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Assessment(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="assessments")
    name = models.CharField(max_length=120)
    score = models.PositiveSmallIntegerField()
    taken_on = models.DateField()

    class Meta:
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="assessment_score_percent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.score}"


class Employment(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="employment")
    company = models.CharField(max_length=120)
    role = models.CharField(max_length=120)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    description = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="employment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} at {self.company}"


class Education(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="education")
    school = models.CharField(max_length=120)
    degree = models.CharField(max_length=120, blank=True)
    field_of_study = models.CharField(max_length=120, blank=True)
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-end_year", "-id"]
        verbose_name_plural = "education"

    def __str__(self) -> str:
        return self.school


class OtherExperience(models.Model):
    freelancer = models.ForeignKey(
        Freelancer, on_delete=models.CASCADE, related_name="other_experience"
    )
    subject = models.CharField(max_length=120)
    description = models.TextField(max_length=2000)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "other experience"

    def __str__(self) -> str:
        return self.subject


class ClientProfile(models.Model):
    """Who the client is. Vetting signals are computed from contracts, posts and feedback by
    selectors; the cached ones here (payment method verified, total spent) are recorded by
    profile services that the billing and contracts features call from their handlers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_profile"
    )
    company_name = models.CharField(max_length=120, blank=True)
    country = CountryField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(max_length=2000, blank=True)
    payment_method_verified = models.BooleanField(default=False)
    total_spent_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_spent_cents__gte=0), name="client_spent_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.company_name or f"Client profile of user {self.user_id}"

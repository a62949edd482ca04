from __future__ import annotations

from typing import Any

from django import forms

from openlance.reviews.models import (
    ATTRIBUTES,
    MAX_TEXT,
    RATING_MAX,
    RATING_MIN,
    RECOMMEND_MAX,
    RECOMMEND_MIN,
    EndReason,
    Feedback,
)

STARS = {5: "Excellent", 4: "Good", 3: "Fair", 2: "Poor", 1: "Very poor"}
RATING_CHOICES = [("", "Choose a rating"), *((n, f"{n} — {STARS[n]}") for n in STARS)]
RECOMMEND_CHOICES = [
    ("", "Choose"),
    *(
        (
            n,
            f"{n} — not at all likely"
            if n == RECOMMEND_MIN
            else f"{n} — extremely likely"
            if n == RECOMMEND_MAX
            else str(n),
        )
        for n in range(RECOMMEND_MAX, RECOMMEND_MIN - 1, -1)
    ),
]
PRIVATE_FIELDS = ("end_reason", "recommend")


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class FeedbackForm(forms.Form):
    """Public feedback (six ratings and a text), and for the client the private part. The
    client may leave either part or both, so for them nothing is required here; the service
    judges the values (each part whole or absent); the form only reads them."""

    text = forms.CharField(
        label="Your feedback",
        max_length=MAX_TEXT,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "What was it like to work together?"}
        ),
        help_text="Public: shown on their profile once revealed.",
    )
    end_reason = forms.ChoiceField(
        label="Why did the contract end?",
        required=False,
        choices=[("", "Choose a reason"), *EndReason.choices],
    )
    recommend = forms.TypedChoiceField(
        label="How likely are you to recommend this freelancer to a friend or colleague?",
        required=False,
        choices=RECOMMEND_CHOICES,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args: Any, with_private: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ratings = {
            name: forms.TypedChoiceField(
                label=label,
                choices=RATING_CHOICES,
                coerce=int,
                empty_value=None,
                required=not with_private,
                error_messages={"required": f"Rate from {RATING_MIN} to {RATING_MAX} stars."},
            )
            for name, label in ATTRIBUTES
        }
        self.fields = {**ratings, **self.fields}
        self.with_private = with_private
        if with_private:
            self.fields["text"].required = False
        else:
            for name in PRIVATE_FIELDS:
                del self.fields[name]

    @classmethod
    def editing(cls, feedback: Feedback | None, *, with_private: bool) -> FeedbackForm:
        """An unbound form filled with one's own feedback, to edit it."""
        initial: dict[str, Any] = {}
        if feedback is not None:
            initial = {name: getattr(feedback, name) for name, _ in ATTRIBUTES}
            initial["text"] = feedback.text
            if with_private:
                initial["end_reason"] = feedback.end_reason
                initial["recommend"] = feedback.recommend
        return cls(initial=initial, with_private=with_private)

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in ATTRIBUTES]

    def private_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PRIVATE_FIELDS if name in self.fields]

    def submission(self) -> dict[str, Any]:
        """The cleaned data as `feedback_submit` takes it."""
        data = self.cleaned_data
        values: dict[str, Any] = {name: _int_or_none(data.get(name)) for name, _ in ATTRIBUTES}
        values["text"] = data.get("text") or ""
        if self.with_private:
            values["end_reason"] = data.get("end_reason") or ""
            values["recommend"] = _int_or_none(data.get("recommend"))
        return values

"""The badges a freelancer can hold (SPEC §12), in one place: their slugs (stored on
`Freelancer.badges` and the profiles' search copy, used by the API and the search filter)
and the names people read. Which ones a freelancer holds is computed by the reputation
feature (a layer above) and handed down through `services.freelancer_badges_record`. No
model here, so the pure badge rules and the benchmark import it without Django set up."""

from __future__ import annotations

from django.db.models.enums import TextChoices


class Badge(TextChoices):
    RISING_TALENT = "rising_talent", "Rising Talent"
    TOP_RATED = "top_rated", "Top Rated"
    TOP_RATED_PLUS = "top_rated_plus", "Top Rated Plus"


# Iterating the enum class itself costs more than the rest of `badges_in_order`, which every
# freelancer search card calls.
_IN_ORDER = tuple(Badge)


def badges_in_order(slugs: object) -> list[Badge]:
    """The badges named in a stored list, in the enum's order; unknown slugs are dropped."""
    if not isinstance(slugs, list | tuple | set | frozenset) or not slugs:
        return []
    held = set(slugs)
    return [badge for badge in _IN_ORDER if badge.value in held]

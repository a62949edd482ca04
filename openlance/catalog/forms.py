"""The skill picker's field, shared by profile and job post forms."""

from __future__ import annotations

from typing import Any

from django import forms

from openlance.catalog.selectors import skills_all


def skill_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The shared skill list grouped by category (rendered by `web/_skill_picker.html`)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for skill in skills_all():
        groups.setdefault(skill.category.name, []).append((skill.slug, skill.name))
    return sorted(groups.items())


class SkillPicker(forms.CheckboxSelectMultiple):
    """The skill list's own widget, so templates know the picker by its widget
    (`field.widget_type == "skillpicker"` in `web/_field.html`), not by a field's name."""


class SkillsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=skill_choices, widget=SkillPicker, **kwargs)

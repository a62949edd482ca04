from __future__ import annotations

from django import forms
from django.http import HttpRequest

from openlance.accounts.models import Role, User
from openlance.accounts.services import user_set_roles

ROLE_CHOICES = [
    ("freelancer", "I want to work as a freelancer"),
    ("client", "I want to hire freelancers"),
    ("both", "Both"),
]


class SignupForm(forms.Form):
    """Extra fields allauth's sign-up asks for: the name and which side of the market."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=ROLE_CHOICES, widget=forms.RadioSelect, initial="freelancer")

    def signup(self, request: HttpRequest, user: User) -> None:
        role = self.cleaned_data["role"]
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.active_role = Role.CLIENT if role == "client" else Role.FREELANCER
        user.save(update_fields=["first_name", "last_name", "active_role"])
        user_set_roles(
            user=user, freelancer=role in ("freelancer", "both"), client=role in ("client", "both")
        )


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it, e.g. “time tracker on laptop”."
    )


class ProfileNameForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)


class RolesForm(forms.Form):
    freelancer = forms.BooleanField(required=False, label="Freelancer — find work and get paid")
    client = forms.BooleanField(required=False, label="Client — hire freelancers and fund work")

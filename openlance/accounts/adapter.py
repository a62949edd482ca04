from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from openlance.accounts.services import sign_in_hint_record


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # A proxy in front (SIGN_IN_COUNTRY_HEADER, e.g. CF-IPCountry) may tell the country;
        # either way it is only a hint for verifiers.
        sign_in_hint_record(
            user=user,
            ip_address=request.META.get("REMOTE_ADDR"),
            country=request.headers.get(settings.SIGN_IN_COUNTRY_HEADER, ""),
            user_agent=request.headers.get("User-Agent", ""),
        )

"""Sends a signed-in user who still owes the second factor to the code or enrolment page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from .second_factor import has_device, needs_verification

# Reachable before the second factor: the pages that ask for it, signing out, the language
# switch, static files and the health check.
EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/health/", "/" + settings.STATIC_URL.lstrip("/"))


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES) and needs_verification(request.user):
            target = "otp_verify" if has_device(request.user) else "otp_enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

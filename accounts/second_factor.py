"""Who needs the second factor (issue 30; docs/security.md "Sign-in").

Every user who may write or export more than a cell: superusers, staff (the admin), and every
role but a cell secretary's (a board or grassroots office writes; a leader reads and exports a
whole unit). A cell secretary may enrol; once enrolled, their code is asked for too.
"""

from __future__ import annotations

from django.conf import settings
from django_otp import devices_for_user

from branches.models import Role


def is_required_for(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Role.objects.filter(user=user).exclude(kind=Role.Kind.CELL_SECRETARY).exists()


def has_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def needs_verification(user) -> bool:
    """Whether ``user`` must give a code before any page but the sign-in ones: never while
    settings.OTP_REQUIRED is off (a development server only)."""
    if not settings.OTP_REQUIRED or not user.is_authenticated or user.is_verified():
        return False
    return is_required_for(user) or has_device(user)

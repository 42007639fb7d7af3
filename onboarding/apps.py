from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    """The first run of a real office: its unit tree and accounts loaded from one workbook."""

    name = "onboarding"
    verbose_name = _("Khởi tạo đơn vị và tài khoản")

from django.conf import settings


def second_factor(request):
    """``otp_off``: the development banner's switch (settings.OTP_REQUIRED)."""
    return {"otp_off": not settings.OTP_REQUIRED}

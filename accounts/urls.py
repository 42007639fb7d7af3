"""Sign-in pages. Django's anonymous password-reset pages are deliberately absent (mail is not
configured, and a password is reset only by an office's administrator in the admin): only
sign-in, sign-out, the password change and the second factor are routed."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("second-factor/", views.verify, name="otp_verify"),
    path("second-factor/enrol/", views.enrol, name="otp_enrol"),
]

"""Security settings: sign-in throttling, sessions, passwords, headers, production settings.

Production settings are loaded in a subprocess (settings are read once per process), with the
environment a production server would have and no DATABASE_URL.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "a-long-test-passphrase"
NOW = datetime.datetime(2024, 3, 4, 9, 0, tzinfo=datetime.UTC)
EXPECTED_CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = (d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production server: the caller's, less anything it could override."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith(("DJANGO_", "AXES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="thotnot_members.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="members.example.internal",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Production settings ----------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_load_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


def test_production_settings_come_from_the_environment():
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ['DEBUG', 'ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'SECURE_SSL_REDIRECT', "
        "'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD']}))"
    )
    env = production_env(
        DJANGO_CSRF_TRUSTED_ORIGINS="https://members.example.internal",
        DJANGO_SECURE_HSTS_SECONDS="3600",
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["members.example.internal"],
        "CSRF_TRUSTED_ORIGINS": ["https://members.example.internal"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


# --- Sign-in throttling -------------------------------------------------------------------------


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="nguyenvanan", password=PASSWORD)


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@time_machine.travel(NOW, tick=False)
def test_five_failed_sign_ins_lock_the_username_out_even_with_the_right_password(client, user):
    for _ in range(4):
        response = sign_in(client, user.username, "wrong-password")
        assert response.status_code == 200  # the form again, with its error
        assert response.context["form"].errors

    response = sign_in(client, user.username, "wrong-password")
    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    assert "Tạm khóa đăng nhập" in response.text

    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)


@time_machine.travel(NOW, tick=False)
def test_the_lockout_is_for_one_address(client, user, django_user_model):
    # Issue 30: the address is locked too, whatever the username (tests/accounts/).
    django_user_model.objects.create_user(username="tranthibinh", password=PASSWORD)
    for _ in range(5):
        sign_in(client, user.username, "wrong-password")

    response = sign_in(client, "tranthibinh", PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)

    elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert sign_in(elsewhere, user.username, PASSWORD).status_code == 302


def lock_out(client: Client, username: str) -> None:
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            sign_in(client, username, "wrong-password")


def test_the_lockout_ends_15_minutes_after_the_last_try(client, user):
    lock_out(client, user.username)
    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        assert sign_in(client, user.username, PASSWORD).status_code == 302
        assert is_signed_in(client)


def test_a_try_during_the_lockout_starts_the_15_minutes_again(client, user):
    lock_out(client, user.username)
    with time_machine.travel(NOW + datetime.timedelta(minutes=14), tick=False):
        assert sign_in(client, user.username, PASSWORD).status_code == 429
    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        assert sign_in(client, user.username, PASSWORD).status_code == 429
    # 15 minutes after that last try.
    with time_machine.travel(NOW + datetime.timedelta(minutes=32), tick=False):
        assert sign_in(client, user.username, PASSWORD).status_code == 302


@time_machine.travel(NOW, tick=False)
def test_a_successful_sign_in_clears_the_failures(client, user):
    for _ in range(4):
        sign_in(client, user.username, "wrong-password")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    for _ in range(4):
        assert sign_in(client, user.username, "wrong-password").status_code == 200
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_tests_can_sign_in_with_force_login_or_login_given_a_request(user):
    # django-axes needs the request; Client.login passes none unless given one.
    by_force = Client()
    by_force.force_login(user)
    assert is_signed_in(by_force)

    by_login = Client()
    assert by_login.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    assert is_signed_in(by_login)


# --- Sessions -----------------------------------------------------------------------------------


def test_a_session_ends_with_the_browser_or_after_eight_hours(client, user):
    with time_machine.travel(NOW, tick=False):
        response = sign_in(client, user.username, PASSWORD)
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["expires"] == ""  # a browser-session cookie
        assert cookie["max-age"] == ""
        assert cookie["httponly"]
        assert client.session.get_expiry_age() == 8 * 60 * 60
        assert client.get(reverse("password_change")).status_code == 200

    with time_machine.travel(NOW + datetime.timedelta(hours=8, minutes=1), tick=False):
        response = client.get(reverse("password_change"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345678", "password_too_short"),
        ("12345678", "password_too_common"),
        ("12345678", "password_entirely_numeric"),
        ("password123", "password_too_common"),
        ("nguyenvanan", "password_too_similar"),
    ],
)
def test_weak_passwords_are_refused(password, code):
    user = get_user_model()(username="nguyenvanan")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert code in {e.code for e in refused.value.error_list}


def test_a_long_unrelated_passphrase_is_accepted():
    user = get_user_model()(username="nguyenvanan")
    validate_password("sông Hậu mùa nước nổi", user)


# --- Headers and cookies ------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_response_carries_the_security_headers():
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert csp(response) == EXPECTED_CSP


PRODUCTION_HTTPS = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.mark.django_db
@override_settings(**PRODUCTION_HTTPS)
def test_under_production_settings_plain_http_is_redirected_to_https():
    response = Client().get(reverse("login"), HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver" + reverse("login")


@time_machine.travel(NOW, tick=False)
@override_settings(**PRODUCTION_HTTPS)
def test_under_production_settings_https_responses_are_strict_and_cookies_secure(user):
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert csp(response) == EXPECTED_CSP
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"]
    assert csrf["httponly"]

    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]


# --- No outside host ----------------------------------------------------------------------------

COMMENTS = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"/\*.*?\*/", re.S),
    # XML namespace names are identifiers, never fetched.
    re.compile(r"""xmlns(:\w+)?\s*=\s*["'][^"']*["']"""),
]
OUTSIDE_HOST = re.compile(r"""https?://|["'(=]\s*//[\w.-]""", re.I)


def shipped_files() -> list[Path]:
    roots = [BASE_DIR / "templates", BASE_DIR / "static"]
    roots += [p for p in BASE_DIR.glob("*/templates") if not p.parent.name.startswith(".")]
    roots += [p for p in BASE_DIR.glob("*/static") if not p.parent.name.startswith(".")]
    return [p for root in roots for p in sorted(root.rglob("*")) if p.is_file()]


def test_no_template_or_static_file_refers_to_an_outside_host():
    """The intranet may have no internet: every asset ships with the app."""
    files = shipped_files()
    assert any(p.name == "base.html" for p in files)
    offenders = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images, fonts
        for comment in COMMENTS:
            text = comment.sub("", text)
        name = path.relative_to(BASE_DIR)
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE_HOST.finditer(text)]
    assert offenders == []

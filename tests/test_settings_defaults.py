"""The production settings' defaults: what a server gets when its environment says nothing.

Settings are read once per process, so each case loads them in a subprocess with an environment
built from scratch (no DJANGO_* variable from the caller leaks in).
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

SETTINGS = ["DEBUG", "SECRET_KEY", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"]


def clean_env(**variables: str) -> dict[str, str]:
    """Only what Python needs to run, the settings module, and ``variables``."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "thotnot_members.settings"
    env.update(variables)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def loaded(**variables: str) -> dict:
    script = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {SETTINGS!r}}}))"
    )
    result = run(["-c", script], clean_env(**variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def required(**extra: str) -> dict[str, str]:
    """The variables a production server must set, and nothing else."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "members.example.internal",
        **extra,
    }


def test_debug_is_off_without_django_debug():
    result = run(["manage.py", "check"], clean_env())
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr
    assert loaded(**required())["DEBUG"] is False


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_debug_is_on_when_asked(value):
    values = loaded(DJANGO_DEBUG=value)
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"] == "insecure-development-key-never-used-in-production"


@pytest.mark.parametrize("value", ["false", "0", "yes", ""])
def test_only_true_or_1_turn_debug_on(value):
    assert loaded(**required(DJANGO_DEBUG=value))["DEBUG"] is False


def test_hsts_has_no_preload_and_no_subdomains_by_default():
    values = loaded(**required())
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False


def test_hsts_preload_and_subdomains_when_set():
    values = loaded(
        **required(DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_SECURE_HSTS_PRELOAD="true")
    )
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True


def test_check_deploy_is_clean_with_only_the_required_variables():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], clean_env(**required())
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in result.stdout

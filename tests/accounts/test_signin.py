"""Issue 30, item 6: the second factor, Argon2, throttling per address and behind proxies, no
anonymous password reset, roles ending with their dissolved unit."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from branches.models import Role, Unit
from branches.services import unit_dissolve
from thotnot_members import settings as project_settings
from thotnot_members.client_ip import client_ip

PASSWORD = "a-long-enough-password"
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True


@pytest.fixture
def board_user(tree, django_user_model):
    user = django_user_model.objects.create_user(username="ban-to-chuc", password=PASSWORD)
    Role.objects.create(user=user, unit=tree.root, kind=Role.Kind.BOARD)
    return user


# --- Argon2 ----------------------------------------------------------------------------------


def test_argon2_is_the_first_hasher():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(settings, django_user_model):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = django_user_model.objects.create(username="cu")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert user.password.startswith("pbkdf2_sha256$")

    assert sign_in(Client(), "cu", PASSWORD).status_code == 302

    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# --- password reset ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_the_anonymous_password_reset_pages_are_gone(client, path):
    assert client.get(path).status_code == 404


def test_the_password_reset_route_is_not_named():
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")


# --- throttling --------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_failures_across_usernames_from_one_address_lock_the_address(django_user_model):
    django_user_model.objects.create_user(username="thanhvien", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        sign_in(client, f"nobody-{n}", "wrong-password")

    assert sign_in(client, "thanhvien").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.0.0.10"), "thanhvien").status_code == 302


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.1.1.1"]
    assert client_ip(request_from("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_client_is_the_last_untrusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.1.1.1", "10.1.1.2"]
    # A client's own forged entry comes first; the proxies append what they saw.
    forged = "192.0.2.66, 198.51.100.7, 10.1.1.2"
    assert client_ip(request_from("10.1.1.1", forged)) == "198.51.100.7"


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_behind_the_proxy_one_client_cannot_lock_out_another(settings, django_user_model):
    settings.TRUSTED_PROXIES = ["10.1.1.1"]
    django_user_model.objects.create_user(username="nan-nhan", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    for _ in range(6):
        sign_in(attacker, "nan-nhan", "wrong-password")

    victim = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert sign_in(victim, "nan-nhan").status_code == 302


def test_production_refuses_to_start_with_the_second_factor_off():
    from tests.test_security import manage, production_env

    result = manage("check", env=production_env(DJANGO_OTP_REQUIRED="false"))
    assert result.returncode != 0
    assert "DJANGO_OTP_REQUIRED" in result.stderr


# --- the second factor -------------------------------------------------------------------------


def test_without_the_second_factor_the_board_cannot_open_the_member_list(
    otp_on, client, board_user
):
    sign_in(client, board_user.username)
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_enrol"))


def test_an_enrolled_board_member_is_asked_for_the_code_then_sees_the_list(
    otp_on, client, board_user
):
    device = TOTPDevice.objects.create(user=board_user, name="app", confirmed=True)
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in(client, board_user.username)
        response = client.get(reverse("members:member_list"))
        assert response["Location"].startswith(reverse("otp_verify"))

        wrong = client.post(reverse("otp_verify"), {"token": "000000", "next": "/members/"})
        assert wrong.status_code == 200
        assert client.get(reverse("members:member_list")).status_code == 302

        clock.shift(datetime.timedelta(seconds=5))  # past django-otp's throttle after a miss
        device.refresh_from_db()
        code = code_of(device)
        right = client.post(reverse("otp_verify"), {"token": code, "next": "/members/"})
        assert right["Location"] == "/members/"
        assert client.get(reverse("members:member_list")).status_code == 200


def test_the_admin_asks_a_superuser_for_the_second_factor(otp_on, client, django_user_model):
    django_user_model.objects.create_superuser(username="quantri", password=PASSWORD)
    client.post(reverse("admin:login"), {"username": "quantri", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_enrol"))


def test_a_cell_secretary_needs_no_second_factor(otp_on, client, tree, django_user_model):
    user = django_user_model.objects.create_user(username="bithu", password=PASSWORD)
    Role.objects.create(user=user, unit=tree.cell_a, kind=Role.Kind.CELL_SECRETARY)
    sign_in(client, "bithu")
    assert client.get(reverse("members:member_list")).status_code == 200


def test_enrolment_shows_a_local_qr_code_then_recovery_codes_that_work_once(
    otp_on, client, board_user
):
    sign_in(client, board_user.username)
    page = client.get(reverse("otp_enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # drawn here: no outside address
    assert "Đăng ký xác thực hai lớp" in html
    device = TOTPDevice.objects.get(user=board_user)
    assert not device.confirmed

    done = client.post(reverse("otp_enrol"), {"token": code_of(device), "next": "/members/"})
    codes = done.context["codes"]
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("members:member_list")).status_code == 200

    # Next sign-in, without the phone: a recovery code, which is then spent.
    for attempt, expected in ((1, 302), (2, 200)):
        other = Client()
        sign_in(other, board_user.username)
        response = other.post(reverse("otp_verify"), {"token": codes[0], "next": "/members/"})
        assert response.status_code == expected, attempt
    assert StaticDevice.objects.get(user=board_user).token_set.count() == 9


def test_with_the_setting_off_the_board_signs_in_with_a_password_and_a_banner(client, board_user):
    # The development default (tests run with DJANGO_DEBUG=true).
    sign_in(client, board_user.username)
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 200
    assert "xác thực hai lớp đang tắt" in response.content.decode()


# --- roles end with their dissolved unit -------------------------------------------------------


def test_dissolving_a_unit_ends_its_roles_which_then_read_but_do_not_edit(tree, django_user_model):
    user = django_user_model.objects.create_user(username="cu-dang-uy", password=PASSWORD)
    role = Role.objects.create(user=user, unit=tree.gcell, kind=Role.Kind.GRASSROOTS_OFFICE)
    on = datetime.date(2025, 7, 1)
    with time_machine.travel(datetime.date(2025, 6, 30), tick=False):
        assert Unit.objects.editable_by(user).filter(pk=tree.gcell.pk).exists()

    unit_dissolve(unit=tree.gcell, on=on)

    role.refresh_from_db()
    assert role.ends_on == on
    with time_machine.travel(datetime.date(2025, 7, 2), tick=False):
        fresh = django_user_model.objects.get(pk=user.pk)
        assert not Unit.objects.editable_by(fresh).exists()
        assert Unit.objects.visible_to(fresh).filter(pk=tree.gcell.pk).exists()
    with time_machine.travel(datetime.date(2025, 6, 30), tick=False):
        before = django_user_model.objects.get(pk=user.pk)
        assert Unit.objects.editable_by(before).filter(pk=tree.gcell.pk).exists()


def test_a_renewed_role_edits_again(tree, django_user_model):
    user = django_user_model.objects.create_user(username="gia-han", password=PASSWORD)
    role = Role.objects.create(
        user=user, unit=tree.gc, kind=Role.Kind.BOARD, ends_on=datetime.date(2020, 1, 1)
    )
    assert not Unit.objects.editable_by(django_user_model.objects.get(pk=user.pk)).exists()
    role.ends_on = None
    role.save()
    assert Unit.objects.editable_by(django_user_model.objects.get(pk=user.pk)).exists()


def test_a_cell_secretary_may_enrol_from_the_password_page_and_is_then_asked(
    otp_on, client, tree, django_user_model
):
    user = django_user_model.objects.create_user(username="bithu2", password=PASSWORD)
    Role.objects.create(user=user, unit=tree.cell_a, kind=Role.Kind.CELL_SECRETARY)
    sign_in(client, "bithu2")
    page = client.get(reverse("password_change"))
    assert reverse("otp_enrol") in page.content.decode()
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    other = Client()
    sign_in(other, "bithu2")
    assert other.get(reverse("members:member_list"))["Location"].startswith(reverse("otp_verify"))

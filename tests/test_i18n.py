"""Vietnamese first, English available: the compiled catalog is in the repository and used."""

import datetime

from django.urls import reverse
from django.utils import formats, translation

from members.models import Event, Member


def test_the_interface_is_vietnamese_by_default(client):
    response = client.get(reverse("login"))
    assert response.headers["Content-Language"] == "vi"
    assert "Đăng nhập" in response.content.decode()


def test_switching_to_english_translates_pages(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert "Log in" in page
    assert "Đăng nhập" not in page


def test_model_labels_and_choices_have_english_translations():
    with translation.override("en"):
        assert str(Member._meta.get_field("full_name").verbose_name) == "full name"
        assert str(Event.Kind.STRUCK_OFF.label) != "Xóa tên"
        assert str(Event.Kind.DISCHARGED.label) != "Cho ra khỏi Đảng"


def test_dates_are_dd_mm_yyyy_in_both_languages_and_numbers_follow_the_language():
    day = datetime.date(2023, 6, 5)
    for language, number in (("vi", "3.129"), ("en", "3,129")):
        with translation.override(language):
            assert formats.date_format(day, "SHORT_DATE_FORMAT") == "05/06/2023"
            assert formats.number_format(3129, force_grouping=True) == number


def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Đăng nhập" in page

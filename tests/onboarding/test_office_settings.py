"""The committee's name and letterhead are settings, not written into the templates."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from reports.unit_report import letterhead

DAY = datetime.date(2024, 6, 30)


@pytest.mark.django_db
def test_the_pages_show_the_office_named_in_the_settings(client, settings):
    settings.OFFICE_NAME = "Ban Tổ chức Thị ủy Tân Bình"
    settings.OFFICE_ORGANIZATION = "Đảng bộ thị xã Tân Bình"
    client.force_login(get_user_model().objects.create_user("u", password="x"))
    page = client.get("/").content.decode()
    assert "Ban Tổ chức Thị ủy Tân Bình · " in page
    assert "· Đảng bộ thị xã Tân Bình</title>" in page
    assert "Thốt Nốt" not in page


def test_the_letterhead_takes_the_superior_and_place_from_the_settings(tree, settings):
    assert letterhead(tree.root, DAY).superior == ""  # no setting: nothing above the root
    assert letterhead(tree.cell_a, DAY).place == "Thốt Nốt"  # derived from the names
    settings.LETTERHEAD_SUPERIOR = "Đảng bộ thành phố Cần Thơ"
    settings.LETTERHEAD_PLACE = "Cần Thơ"
    head = letterhead(tree.root, DAY)
    assert head.superior == "ĐẢNG BỘ THÀNH PHỐ CẦN THƠ" and head.place == "Cần Thơ"
    # a unit inside the tree keeps its own superior from the tree
    assert letterhead(tree.cell_a, DAY).superior == tree.gc.name.upper()

"""The demo's accounts: who signs in, on which unit, with which role.

Two generations of offices. The district's (until 30/06/2025, its history and the article's
figures): its organization board and leader, the old Thốt Nốt ward's office. Today's (since
the 2025 reform the ward committees decide admissions and the city is the level above): the
city's organization board and a leader, each new ward committee's party-building office, and
a cell secretary. README.md's table says who sees what.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from branches.models import Role, Unit

PASSWORD = "thotnot-demo"


def ward_username(code: str) -> str:
    """``dbp-thot-not-2025`` → ``xaydungdang.thotnot``: one account per new ward."""
    place = code.removeprefix("dbp-").removesuffix("-2025").replace("-", "")
    return f"xaydungdang.{place}"


def accounts(tree: dict) -> list[tuple[str, str, str, str]]:
    """(username, display name, unit code, role kind) of every demo account but the admin."""
    K = Role.Kind
    district = tree["district"]["code"]
    city = tree["city"]["code"]
    rows = [
        # The district's offices, kept for its history (tests and the article use them).
        ("bantochuc", "Ban Tổ chức Quận ủy", district, K.BOARD),
        (
            "phuongthotnot",
            "Văn phòng Đảng ủy phường Thốt Nốt",
            tree["wards"][0]["code"],
            K.GRASSROOTS_OFFICE,
        ),
        (
            "bithu.longthanh2",
            "Bí thư Chi bộ Long Thạnh 2",
            tree["article_cell"]["code"],
            K.CELL_SECRETARY,
        ),
        ("lanhdao", "Lãnh đạo Quận ủy", district, K.LEADER),
        # Today's offices.
        ("bantochuc.thanhpho", "Ban Tổ chức Thành ủy Cần Thơ", city, K.BOARD),
        ("lanhdao.thanhpho", "Lãnh đạo Thành ủy Cần Thơ", city, K.LEADER),
    ]
    for ward in tree["reorganization_2025"]["new_wards"]:
        place = ward["name"].split(" (")[0].removeprefix("Đảng bộ ")
        rows.append(
            (
                ward_username(ward["code"]),
                f"Ban Xây dựng Đảng, Đảng ủy {place}",
                ward["code"],
                K.BOARD,
            )
        )
    return rows


def create_accounts(tree: dict, by_code: dict[str, Unit]) -> list[str]:
    """Every demo account and its role, and the system administrator; their usernames."""
    User = get_user_model()
    password = make_password(PASSWORD)
    made = []
    for username, display, code, kind in accounts(tree):
        user = User.objects.create(username=username, first_name=display, password=password)
        # The 2025 wards are created by the reorganization, not kept in ``by_code``.
        unit = by_code[code] if code in by_code else Unit.objects.get(code=code)
        Role.objects.create(user=user, unit=unit, kind=kind)
        made.append(username)
    User.objects.create(
        username="quantri",
        first_name="Quản trị hệ thống",
        password=password,
        is_staff=True,
        is_superuser=True,
    )
    return [*made, "quantri"]

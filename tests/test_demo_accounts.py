"""The demo's accounts (issue 28): today's offices beside the district's, each on its unit."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from branches.models import Role, Unit
from branches.services import unit_create
from devdata.accounts import accounts, create_accounts
from devdata.demo import TREE_FILE
from tests.conftest import FOUNDED


def test_every_demo_account_gets_its_role_on_its_unit(db):
    tree = json.loads(TREE_FILE.read_text(encoding="utf-8"))
    rows = accounts(tree)
    by_code = {}
    for index, (_username, _display, code, _kind) in enumerate(rows):
        if code not in by_code and not Unit.objects.filter(code=code).exists():
            unit = unit_create(
                code=code,
                name=f"Đơn vị {index}",
                kind=Unit.Kind.ABOVE_GRASSROOTS,
                founded_on=FOUNDED,
            )
            # The 2025 wards are not in the builder's by_code: found by their code.
            if not code.startswith("dbp-"):
                by_code[code] = unit
    made = create_accounts(tree, by_code)
    assert {"bantochuc", "phuongthotnot", "bithu.longthanh2", "lanhdao", "quantri"} <= set(made)
    city = tree["city"]["code"]
    assert Role.objects.get(user__username="bantochuc.thanhpho").unit.code == city
    assert Role.objects.get(user__username="bantochuc.thanhpho").kind == Role.Kind.BOARD
    assert Role.objects.get(user__username="lanhdao.thanhpho").kind == Role.Kind.LEADER
    wards = [w["code"] for w in tree["reorganization_2025"]["new_wards"]]
    offices = Role.objects.filter(unit__code__in=wards, kind=Role.Kind.BOARD)
    assert sorted(offices.values_list("unit__code", flat=True)) == sorted(wards)
    assert get_user_model().objects.filter(username="xaydungdang.thotnot").exists()

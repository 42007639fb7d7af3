"""The importer's table of event handlers (members.roster.applying.ACTION_HANDLERS): every kind
the events sheet accepts has a handler, every handler is in the table, and each kind reaches
the service that writes it."""

from __future__ import annotations

import datetime
import inspect
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import RosterImportRow
from members.roster import applying
from members.roster.columns import COLUMNS, EventAction, Sheet

A = EventAction
SERVICE_OF = {
    A.TRANSFER: "member_transfer",
    A.TRANSFER_OUT: "member_transfer_out",
    A.TRANSFER_IN: "member_transfer_in",
    A.TEMPORARY_TRANSFER: "member_temporary_transfer",
    A.RECOGNITION: "member_recognize",
    A.STRUCK_OFF: "member_remove",
    A.DISCHARGED: "member_remove",
    A.EXPELLED: "member_remove",
    A.DEATH: "member_record_death",
    A.EXEMPTION: "member_exempt",
    A.RESTORATION: "member_restore",
    A.READMISSION: "member_readmit",
}
DAY = datetime.date(2024, 3, 1)


def test_every_kind_the_events_sheet_accepts_has_a_handler():
    (action,) = [c for c in COLUMNS[Sheet.EVENTS] if c.key == "action"]
    accepted = set(action.choices.values)
    assert set(applying.ACTION_HANDLERS) == accepted
    assert set(SERVICE_OF) == accepted


def test_every_handler_is_in_the_table():
    handlers = {
        function
        for _name, function in inspect.getmembers(applying, inspect.isfunction)
        if function.__module__ == applying.__name__
        and [p.annotation for p in inspect.signature(function).parameters.values()]
        == ["Member", "EventArgs"]
    }
    assert handlers == set(applying.ACTION_HANDLERS.values())


def _item(action: str, **values):
    row = RosterImportRow(sheet=Sheet.EVENTS, number=7, errors=[])
    row.values = {
        "action": action,
        "effective_date": DAY.isoformat(),
        "decision_no": "12-QĐ/ĐU",
        "decision_date": DAY.isoformat(),
        **values,
    }
    run = SimpleNamespace(directives={}, user="the user")
    unit = SimpleNamespace(code="CB1")
    return applying._event(run, row, {"CB1": unit}), unit


@pytest.mark.parametrize("action", list(EventAction))
def test_each_kind_reaches_its_service(action, monkeypatch):
    called = []
    for name in set(SERVICE_OF.values()):
        monkeypatch.setattr(
            services, name, lambda name=name, **kwargs: called.append((name, kwargs)) or name
        )
    item, unit = _item(action, unit_code="CB1", other_unit_name="Nơi khác", reason="x")
    member = SimpleNamespace(recognized_on=None)

    assert item.write(member) == SERVICE_OF[action]
    ((name, kwargs),) = called
    assert kwargs["member"] is member and kwargs["user"] == "the user"
    if "effective_date" in kwargs:
        assert kwargs["effective_date"] == DAY
    assert kwargs["decision"].number == "12-QĐ/ĐU"
    for key in ("unit", "to_unit"):
        if key in kwargs:
            assert kwargs[key] is unit
    if name == "member_remove":
        assert kwargs["kind"] == action


def test_a_readmission_dated_apart_from_its_decision_is_refused_on_the_decision_date():
    item, _unit = _item(A.READMISSION, decision_date="2024-02-01", unit_code="CB1")
    with pytest.raises(ValidationError) as raised:
        item.write(SimpleNamespace(recognized_on=None))
    assert set(raised.value.message_dict) == {"decision_date"}
    assert item.fields["decision_date"] == "decision_date"

"""Issue 24's pages (R16-R18, R25): each refusal shown next to its field, the two steps of a
transfer between wards, the lists of what is overdue or on its way, their query counts."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from members.models import CardKind, Event, Member, OfficeTransfer, PartyCard, Status
from members.services import member_temporary_transfer, member_transfer_send
from tests.conftest import admit_official, d, make_decision

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2024, 1, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
K = Event.Kind


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


def url(view: str, pk: int | None = None) -> str:
    return reverse(f"members:{view}", args=[pk] if pk is not None else [])


def decision(day: str = "05/01/2024") -> dict:
    return {"decision_no": "15-QĐ/ĐU", "decision_date": day, "issuing_body": "", "notes": ""}


def errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


def test_exemption_refusals_next_to_the_field(cast, client):
    member = cast.members.b  # born 1985: too young
    client.force_login(cast.users.office)
    data = {**decision(), "effective_date": "05/01/2024"}
    found = errors(client.post(url("member_exempt", member.pk), data))
    assert "tuổi cao" in " ".join(found["effective_date"])
    assert {"poor_health", "on_request"} <= set(found)
    assert not member.events.filter(kind=K.EXEMPTION).exists()


def test_exemption_and_the_return_through_the_pages(cast, client):
    member = cast.members.b
    Member.objects.filter(pk=member.pk).update(date_of_birth=d("1960-01-01"))
    client.force_login(cast.users.office)
    data = {**decision(), "effective_date": "05/01/2024", "poor_health": "on", "on_request": "on"}
    assert client.post(url("member_exempt", member.pk), data).status_code == 302
    html = client.get(url("member_detail", member.pk)).content.decode()
    assert url("exemption_end", member.pk) in html
    found = errors(client.post(url("member_exempt", member.pk), data))
    assert "đang được miễn" in " ".join(found["effective_date"])
    found = errors(client.post(url("exemption_end", member.pk), {"ended_on": "01/01/2024"}))
    assert "ended_on" in found
    assert (
        client.post(url("exemption_end", member.pk), {"ended_on": "08/01/2024"}).status_code == 302
    )
    assert member.events.get(kind=K.EXEMPTION).ended_on == d("2024-01-08")


def test_temporary_transfer_term_refused_next_to_the_field(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "mode": "temporary",
        "destination": "Đảng bộ xã Tân Lộc",
        "effective_date": "05/01/2024",
        "purpose": "work",
        "term_end": "05/01/2025",  # 12 months: not under 12
    }
    assert "term_end" in errors(client.post(url("member_transfer", member.pk), data))
    data["term_end"] = ""
    assert "term_end" in errors(client.post(url("member_transfer", member.pk), data))
    data.update(term_end="05/07/2024", confirmed="1")
    assert client.post(url("member_transfer", member.pk), data).status_code == 302
    assert (
        client.post(url("temporary_return", member.pk), {"ended_on": "10/01/2024"}).status_code
        == 302
    )


TEMPORARY_START = d("2023-01-05")


def overdue_temporary(member, on=TEMPORARY_START):
    return member_temporary_transfer(
        member=member,
        destination="Đảng bộ xã Tân Lộc",
        effective_date=on,
        decision=make_decision(on),
        term_end=d("2023-07-05"),
    )


def test_overdue_list_in_scope_with_pinned_queries(cast, client, django_assert_num_queries):
    overdue_temporary(cast.members.b)
    overdue_temporary(cast.members.o)  # another ward's
    client.force_login(cast.users.office)
    with django_assert_num_queries(4):  # session, user, roles' units, the list
        response = client.get(url("temporary_overdue"))
    html = response.content.decode()
    assert cast.members.b.full_name in html
    assert cast.members.o.full_name not in html
    another = admit_official(cast.tree.cell_a, d("2016-03-01"), full_name="Đỗ Thị Hạnh")
    overdue_temporary(another)
    with django_assert_num_queries(4):  # more rows, as many queries
        html = client.get(url("temporary_overdue")).content.decode()
    assert another.full_name in html
    assert url("temporary_overdue") in client.get(reverse("home")).content.decode()


def test_card_refused_for_a_probationer_and_recorded_for_an_official(cast, client):
    client.force_login(cast.users.office)
    probationer = cast.members.a
    data = {"kind": CardKind.ISSUE, "number": "09012345", "issued_on": "05/01/2024"}
    form = client.post(url("card_record", probationer.pk), data).context["form"]
    assert "chính thức" in " ".join(form.non_field_errors())
    assert (
        url("card_record", probationer.pk)
        not in client.get(url("member_detail", probationer.pk)).content.decode()
    )
    official = cast.members.b
    assert client.post(url("card_record", official.pk), data).status_code == 302
    data2 = {**data, "number": "09099999"}
    assert "kind" in errors(client.post(url("card_record", official.pk), data2))
    html = client.get(url("member_detail", official.pk)).content.decode()
    assert "09012345" in html and str(CardKind.ISSUE.label) in html
    assert PartyCard.objects.get().member == official


def test_send_to_another_wards_cell_and_receive_there(cast, client):
    member = cast.members.b  # a cell of the Thốt Nốt ward
    client.force_login(cast.users.office)
    data = {**decision(), "to_unit": str(cast.cell_o.pk), "effective_date": "05/01/2024"}
    assert client.post(url("transfer_send", member.pk), data).status_code == 302
    member.refresh_from_db()
    assert member.status == Status.TRANSFERRED_OUT
    transfer = OfficeTransfer.objects.get()
    sent = client.get(url("transfers_pending")).content.decode()
    assert member.full_name in sent and url("transfer_receive", transfer.pk) not in sent
    assert client.get(url("transfer_receive", transfer.pk)).status_code == 404
    client.force_login(cast.users.other_office)  # the Thới Thuận ward office
    pending = client.get(url("transfers_pending")).content.decode()
    assert url("transfer_receive", transfer.pk) in pending
    late = {**decision("05/03/2024"), "received_on": "05/03/2024"}
    assert "received_on" in errors(client.post(url("transfer_receive", transfer.pk), late))
    ok = {**decision("10/01/2024"), "received_on": "10/01/2024"}
    response = client.post(url("transfer_receive", transfer.pk), ok)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.cell_o)


def test_pending_list_queries_do_not_grow(cast, client, django_assert_num_queries):
    day = d("2024-01-05")
    member_transfer_send(
        member=cast.members.b, to_unit=cast.cell_o, sent_on=day, decision=make_decision(day)
    )
    client.force_login(cast.users.board)
    queries = 6  # session, user, incoming, editable cells, roles' units ×2 (sent)
    with django_assert_num_queries(queries):
        client.get(url("transfers_pending"))
    member_transfer_send(
        member=cast.members.g, to_unit=cast.cell_o, sent_on=day, decision=make_decision(day)
    )
    with django_assert_num_queries(queries):
        response = client.get(url("transfers_pending"))
    assert len(response.context["incoming"]) == 2 == len(response.context["sent"])

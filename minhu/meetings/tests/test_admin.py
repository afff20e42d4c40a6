"""Meeting types are edited in administration through their services (each change one event); meetings,
items and actions are read-only there."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from conftest import login_with_second_factor
from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.meetings.models import Meeting, MeetingType


def _events() -> list[tuple[str, dict[str, object], dict[str, object]]]:
    return [(e.verb, e.before, e.after) for e in Event.objects.filter(verb__startswith="meeting_type.")]


def test_a_meeting_type_added_in_administration_is_recorded(client: Client, root: User) -> None:
    login_with_second_factor(client, root)
    parties = ["区委组织部", "驻区单位党组织", "社区党委"]
    data = {"code": "joint", "name": "1+X大工委联席会", "parties": json.dumps(parties, ensure_ascii=False)}
    response = client.post(reverse("admin:meetings_meetingtype_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    mt = MeetingType.objects.get(code="joint")
    assert mt.parties == parties
    assert _events() == [
        ("meeting_type.create", {}, {"code": "joint", "name": "1+X大工委联席会", "parties": parties})
    ]


def test_changing_a_meeting_types_parties_is_recorded_and_the_code_stays(
    client: Client, root: User, meeting: Meeting
) -> None:
    login_with_second_factor(client, root)
    mt = meeting.type
    url = reverse("admin:meetings_meetingtype_change", args=[mt.pk])
    parties = [*mt.parties, "物业公司"]
    data = {"code": "renamed", "name": mt.name, "parties": json.dumps(parties, ensure_ascii=False)}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    mt.refresh_from_db()
    assert (mt.code, mt.parties) == ("three_party", parties)
    assert _events() == [
        ("meeting_type.update", {"parties": parties[:-1]}, {"parties": parties}),
    ]


def test_a_party_still_sitting_or_twice_is_refused_and_nothing_changes(
    client: Client, root: User, meeting: Meeting
) -> None:
    login_with_second_factor(client, root)
    mt = meeting.type
    before = list(mt.parties)
    url = reverse("admin:meetings_meetingtype_change", args=[mt.pk])
    for parties in (before[:-1], [*before, before[0]], []):
        data = {"name": mt.name, "parties": json.dumps(parties, ensure_ascii=False)}
        response = client.post(url, data)
        assert response.status_code == 200
        assert "parties" in response.context["adminform"].form.errors
    mt.refresh_from_db()
    assert mt.parties == before
    assert _events() == []


def test_meetings_and_types_cannot_be_deleted_and_meetings_not_edited(
    client: Client, root: User, meeting: Meeting
) -> None:
    login_with_second_factor(client, root)
    type_delete = reverse("admin:meetings_meetingtype_delete", args=[meeting.type.pk])
    assert client.post(type_delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    assert client.post(change, {"title": "改"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "马耳山村三方联席会议"
    assert MeetingType.objects.filter(pk=meeting.type.pk).exists()

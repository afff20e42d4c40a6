"""Client keys: issued once and kept only as a hash, revoked for good, both recorded; in admin and by
command."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from minhu.accounts.models import User
from minhu.appeals.models import Category
from minhu.core.models import Event
from minhu.open311.models import Client, Submission, key_hash
from minhu.open311.services import client_issue, client_revoke
from minhu.open311.tests.georeport import GeoReport


def _row_text(client: Client) -> str:
    return json.dumps(list(Client.objects.filter(pk=client.pk).values()), default=str)


def test_a_key_is_shown_once_and_stored_only_as_its_hash(db: Any, alice: User) -> None:
    client, key = client_issue(name=" FixMyStreet 永乐 ", contact="ops@example.org", actor=alice)
    assert re.fullmatch(r"m311_[A-Za-z0-9_-]{43}", key)
    assert (client.name, client.created_by, client.active, client.revoked_at) == (
        "FixMyStreet 永乐",
        alice,
        True,
        None,
    )
    assert client.key_prefix == key[:10]
    assert client.key_hash == key_hash(key)
    assert key not in _row_text(client)
    event = Event.objects.get(verb="open311.client_issue")
    assert (event.actor, event.target_label) == (alice, str(client))
    assert event.after == {"name": "FixMyStreet 永乐", "contact": "ops@example.org", "key_prefix": key[:10]}
    assert key not in json.dumps([event.before, event.after, event.note])
    assert client_issue(name="Other", actor=None)[1] != key


def test_one_active_key_per_name_and_a_revoked_one_stays_revoked(db: Any, alice: User) -> None:
    client, _key = client_issue(name="FixMyStreet", actor=alice)
    with pytest.raises(ValidationError, match="already has an active key"):
        client_issue(name="FixMyStreet", actor=alice)
    client_revoke(client=client, actor=alice)
    client.refresh_from_db()
    assert client.active is False
    assert client.revoked_at is not None
    event = Event.objects.get(verb="open311.client_revoke")
    assert (event.actor, event.before, event.after) == (
        alice,
        {"active": True},
        {"active": False, "key_prefix": client.key_prefix},
    )
    # Revoking again is refused and writes nothing.
    with pytest.raises(ValidationError):
        client_revoke(client=client, actor=alice)
    assert Event.objects.filter(verb="open311.client_revoke").count() == 1
    # The name is free for a new key.
    assert client_issue(name="FixMyStreet", actor=alice)[0].active


def test_the_command_issues_a_working_key_and_prints_it_on_a_line_of_its_own(
    client: Any, ordinary: Category, alice: User
) -> None:
    out = io.StringIO()
    call_command("open311_client", "City app", "--contact", "ops@example.org", "--as", "alice", stdout=out)
    lines = out.getvalue().splitlines()
    [line] = [x for x in lines if x.startswith("Open311 api_key: ")]
    key = line.removeprefix("Open311 api_key: ")
    assert Client.objects.get(key_hash=key_hash(key)).created_by == alice
    answer = GeoReport(client).create(
        "json", api_key=key, service_code="T01", address_string="火车站广场", description="垃圾桶满了"
    )
    assert answer.status == 200
    out = io.StringIO()
    call_command("open311_client", "City app", "--revoke", stdout=out)
    assert "Revoked the key" in out.getvalue()
    answer = GeoReport(client).create(
        "json", api_key=key, service_code="T01", address_string="火车站广场", description="又满了"
    )
    assert answer.status == 403
    with pytest.raises(CommandError):
        call_command("open311_client", "City app", "--revoke", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_client", "City app", "--as", "nobody", stdout=io.StringIO())


# --- admin -------------------------------------------------------------------------------------------------


def test_admin_lists_clients_read_only_and_issues_a_key_shown_once(root_client: Any) -> None:
    response = root_client.post("/admin/open311/client/add/", {"name": "FixMyStreet", "contact": "ops@x.org"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = re.search(r"<code data-open311-key[^>]*>([^<]+)</code>", page)
    assert key is not None
    client = Client.objects.get(key_hash=key_hash(key.group(1)))
    assert client.name == "FixMyStreet"
    assert Event.objects.filter(verb="open311.client_issue", actor__username="root").count() == 1
    listing = root_client.get("/admin/open311/client/").content.decode()
    assert client.key_prefix in listing
    assert key.group(1) not in listing
    detail = root_client.get(f"/admin/open311/client/{client.pk}/change/")
    assert detail.status_code == 200
    assert key.group(1) not in detail.content.decode()
    # Nothing is edited or deleted by hand.
    assert root_client.post(f"/admin/open311/client/{client.pk}/change/", {"name": "x"}).status_code == 403
    assert root_client.post(f"/admin/open311/client/{client.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Client.objects.get(pk=client.pk).name == "FixMyStreet"


def test_admin_revokes_through_the_service(root_client: Any) -> None:
    first, _ = client_issue(name="A", actor=None)
    second, _ = client_issue(name="B", actor=None)
    client_revoke(client=second, actor=None)
    response = root_client.post(
        "/admin/open311/client/", {"action": "revoke", "_selected_action": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.active is False
    assert Event.objects.filter(verb="open311.client_revoke", actor__username="root").count() == 1


def test_admin_shows_submissions_read_only(root_client: Any, ordinary: Category, api_key: str) -> None:
    GeoReport(root_client).create(
        "json", api_key=api_key, service_code="T01", address_string="火车站广场", description="垃圾桶满了"
    )
    submission = Submission.objects.get()
    assert root_client.get("/admin/open311/submission/").status_code == 200
    assert root_client.get("/admin/open311/submission/add/").status_code == 403
    assert submission.appeal.tracking_code in root_client.get("/admin/open311/submission/").content.decode()

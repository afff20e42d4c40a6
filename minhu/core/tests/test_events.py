"""The audit timeline is append-only: services, querysets, admin and the database all refuse rewrites."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from minhu.accounts.models import User
from minhu.core import context
from minhu.core.models import AppendOnlyError, Event
from minhu.core.services import event_record


@pytest.fixture
def event(alice: User) -> Event:
    with context.bind(request_id="req-123456", client_addr="10.0.0.7"):
        return event_record(actor=alice, verb="test.change", target=alice, before={"a": 1}, after={"a": 2})


def test_event_records_actor_target_before_after_and_request(event: Event, alice: User) -> None:
    event.refresh_from_db()
    assert event.actor == alice
    assert event.actor_label == "alice"
    assert event.verb == "test.change"
    assert event.target_id == str(alice.pk)
    assert event.target_label == str(alice)
    assert (event.before, event.after) == ({"a": 1}, {"a": 2})
    assert (event.request_id, event.client_addr) == ("req-123456", "10.0.0.7")
    assert list(Event.objects.for_target(alice).filter(verb="test.change")) == [event]


def test_event_without_actor_is_labelled_system(db: None) -> None:
    e = event_record(actor=None, verb="job.run")
    assert (e.actor, e.actor_label, e.target_id) == (None, "system", "")


def test_saving_an_existing_event_is_refused(event: Event) -> None:
    event.verb = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    event.refresh_from_db()
    assert event.verb == "test.change"


def test_deleting_an_event_is_refused(event: Event) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event: Event) -> None:
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(verb="forged")
    with pytest.raises(AppendOnlyError):
        Event.objects.bulk_update([event], ["verb"])
    assert Event.objects.get(pk=event.pk).verb == "test.change"


def test_raw_sql_update_is_refused_by_the_database(event: Event) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET verb = %s WHERE id = %s", ["forged", event.pk])
    assert Event.objects.get(pk=event.pk).verb == "test.change"


def test_raw_sql_delete_is_refused_by_postgresql(event: Event) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite relies on the application guard (see migration 0002)")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_offers_no_add_change_or_delete(event: Event, root_client: Client) -> None:
    client = root_client
    base = "/admin/core/event/"
    assert client.get(base).status_code == 200
    assert client.get(base + "add/").status_code == 403
    page = client.get(f"{base}{event.pk}/change/")
    assert page.status_code == 200  # viewable
    assert b'name="_save"' not in page.content
    response = client.post(f"{base}{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()

"""Staff edit the dispatch catalogue in administration; each change is recorded; appeals are read-only."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from conftest import login_with_second_factor
from minhu.accounts.models import User
from minhu.appeals.models import Category
from minhu.core.models import Event


def test_a_catalogue_edit_is_recorded_with_what_changed(
    client: Client, root: User, ordinary: Category
) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_change", args=[ordinary.pk])
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {k: v for k, v in form.initial.items() if v is not None}
    data.update(response_hours=2, required_fields="[]", active="on")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ordinary.refresh_from_db()
    assert ordinary.response_hours == 2
    event = Event.objects.get(verb="category.update")
    assert (event.before, event.after) == ({"response_hours": 24}, {"response_hours": 2})


def test_appeals_cannot_be_edited_or_deleted_in_administration(client: Client, root: User) -> None:
    login_with_second_factor(client, root)
    assert client.get(reverse("admin:appeals_appeal_add")).status_code == 403
    assert client.get(reverse("admin:appeals_category_delete", args=[1])).status_code in (403, 302)

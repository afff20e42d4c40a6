"""Staff edit the dispatch catalogue in administration, through the catalogue services (each change one event
with what changed); appeals are read-only there."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import login_with_second_factor
from minhu.accounts.models import User
from minhu.appeals.models import Category
from minhu.appeals.services import category_create, category_update
from minhu.core.models import Event


def _form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """What the admin form would post as it stands, with `changes`."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data.update(required_fields="[]", active="on")
    data.update(changes)
    return data


def test_a_catalogue_edit_is_recorded_with_what_changed(
    client: Client, root: User, ordinary: Category
) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_change", args=[ordinary.pk])
    response = client.post(url, _form_data(client, url, response_hours=2))
    assert response.status_code == 302, response.content.decode()[:2000]
    ordinary.refresh_from_db()
    assert ordinary.response_hours == 2
    event = Event.objects.get(verb="category.update")
    assert (event.before, event.after, event.actor) == ({"response_hours": 24}, {"response_hours": 2}, root)


def test_a_category_added_in_administration_goes_through_the_service(client: Client, root: User) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_add")
    response = client.post(url, _form_data(client, url, code="T09", name="噪声扰民", response_hours=12))
    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(code="T09")
    event = Event.objects.get(verb="category.create")
    assert (event.target_id, event.actor, event.before) == (str(category.pk), root, {})
    after = event.after or {}
    assert (after["code"], after["name"], after["response_hours"]) == ("T09", "噪声扰民", 12)


def test_saving_a_category_unchanged_records_nothing(client: Client, root: User, ordinary: Category) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_change", args=[ordinary.pk])
    response = client.post(url, _form_data(client, url))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Event.objects.filter(verb__startswith="category.").exists()


def test_an_invalid_catalogue_edit_changes_nothing(client: Client, root: User, ordinary: Category) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_change", args=[ordinary.pk])
    response = client.post(url, _form_data(client, url, resolution_amount=0))
    assert response.status_code == 200  # the form again, with its error
    ordinary.refresh_from_db()
    assert ordinary.resolution_amount == 5
    assert not Event.objects.filter(verb__startswith="category.").exists()


def test_categories_cannot_be_deleted_in_administration(
    client: Client, root: User, ordinary: Category
) -> None:
    login_with_second_factor(client, root)
    url = reverse("admin:appeals_category_delete", args=[ordinary.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Category.objects.filter(pk=ordinary.pk).exists()


def test_appeals_cannot_be_edited_or_deleted_in_administration(client: Client, root: User) -> None:
    login_with_second_factor(client, root)
    assert client.get(reverse("admin:appeals_appeal_add")).status_code == 403
    assert client.get(reverse("admin:appeals_category_delete", args=[1])).status_code in (403, 302)


def test_category_update_validates_and_writes_nothing_when_refused(ordinary: Category, root: User) -> None:
    with pytest.raises(ValidationError):
        category_update(category=ordinary, actor=root, urgency="whenever")
    with pytest.raises(TypeError):
        category_update(category=ordinary, actor=root, tracking_code="X")
    ordinary.refresh_from_db()
    assert ordinary.urgency == "ordinary"
    assert not Event.objects.filter(verb__startswith="category.").exists()


def test_category_create_refuses_a_duplicate_code(ordinary: Category, root: User) -> None:
    with pytest.raises(ValidationError) as refused:
        category_create(code=ordinary.code, name="重复", actor=root)
    assert "code" in refused.value.message_dict
    assert Category.objects.filter(code=ordinary.code).count() == 1
    assert not Event.objects.filter(verb__startswith="category.").exists()


def test_retiring_a_category_is_an_update(ordinary: Category, root: User) -> None:
    category_update(category=ordinary, actor=root, active=False)
    event = Event.objects.get(verb="category.update")
    assert (event.before, event.after) == ({"active": True}, {"active": False})

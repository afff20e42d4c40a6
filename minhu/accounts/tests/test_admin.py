"""The accounts admin changes nothing by itself: each change is an accounts service and its event, and what no
service changes is read-only there (the back doors tried one by one)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, login_with_second_factor, make_persona
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_set_active, user_set_roles, user_update
from minhu.core.models import Event

NEW_PASSWORD = "Kx7#quiet-river"


@pytest.fixture
def admin_client(client: Client, root: User) -> Client:
    login_with_second_factor(client, root)
    return client


def _change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """What the change form posts as it stands, with `changes` (False: left out, as a browser does)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, False):
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _events() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The accounts events after the personas were made."""
    found = Event.objects.filter(verb__startswith="user.").exclude(verb="user.create").order_by("pk")
    return [(e.verb, e.before, e.after) for e in found]


def test_adding_a_user_in_administration_is_user_create(admin_client: Client, root: User) -> None:
    Group.objects.get_or_create(name=Role.AUDITOR.value)
    before = Event.objects.count()
    url = reverse("admin:accounts_user_add")
    response = admin_client.post(
        url,
        {
            "username": "newbie",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "display_name": "新同事",
            "phone": "13812348000",
            "is_staff": "on",
            "roles": [Role.AUDITOR.value],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newbie")
    assert (user.display_name, user.is_staff, user.is_superuser, user.roles()) == (
        "新同事",
        True,
        False,
        {"auditor"},
    )
    assert user.check_password(NEW_PASSWORD)
    event = Event.objects.get(verb="user.create", target_id=str(user.pk))
    assert event.actor == root
    assert event.after == {"username": "newbie", "roles": ["auditor"], "is_staff": True}
    assert Event.objects.count() == before + 1


def test_a_weak_password_or_joined_powers_add_nobody(admin_client: Client) -> None:
    url = reverse("admin:accounts_user_add")
    weak = {"username": "weak", "password1": "password", "password2": "password"}
    assert admin_client.post(url, weak).status_code == 200
    joined = {
        "username": "both",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "roles": [Role.ADMINISTRATOR.value, Role.AUDITOR.value],
    }
    response = admin_client.post(url, joined)
    assert response.status_code == 200
    assert "roles" in response.context["adminform"].form.errors
    assert not User.objects.filter(username__in=["weak", "both"]).exists()
    assert not Event.objects.filter(verb="user.create", after__username__in=["weak", "both"]).exists()


def test_the_profile_changes_through_user_update_with_the_phone_masked(
    admin_client: Client, alice: User
) -> None:
    url = _change_url(alice)
    data = _form_data(admin_client, url, display_name="王丽丽", phone="13912345678")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    alice.refresh_from_db()
    assert (alice.display_name, alice.phone) == ("王丽丽", "13912345678")
    assert _events() == [
        (
            "user.update",
            {"display_name": "王丽", "phone": ""},
            {"display_name": "王丽丽", "phone": "139****5678"},
        )
    ]


def test_roles_change_through_user_set_roles(admin_client: Client, alice: User, root: User) -> None:
    Group.objects.get_or_create(name=Role.DISTRICT_STAFF.value)
    url = _change_url(alice)
    roles = [Role.STREET_STAFF.value, Role.DISTRICT_STAFF.value]
    response = admin_client.post(url, _form_data(admin_client, url, roles=roles))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert alice.roles() == {"street_staff", "district_staff"}
    event = Event.objects.get(verb="user.roles")
    assert (event.actor, event.before, event.after) == (
        root,
        {"roles": ["street_staff"]},
        {"roles": ["district_staff", "street_staff"]},
    )


def test_the_administrator_and_the_auditor_stay_different_people(admin_client: Client, alice: User) -> None:
    url = _change_url(alice)
    roles = [Role.ADMINISTRATOR.value, Role.AUDITOR.value]
    response = admin_client.post(url, _form_data(admin_client, url, roles=roles))
    assert response.status_code == 200
    assert "roles" in response.context["adminform"].form.errors
    assert alice.roles() == {"street_staff"}
    assert _events() == []
    with pytest.raises(ValidationError):
        user_set_roles(user=alice, roles=[Role.ADMINISTRATOR, Role.AUDITOR], actor=None)
    assert alice.roles() == {"street_staff"}


def test_activation_and_staff_go_through_their_services(admin_client: Client, alice: User) -> None:
    url = _change_url(alice)
    response = admin_client.post(url, _form_data(admin_client, url, is_active=False, is_staff=False))
    assert response.status_code == 302, response.content.decode()[:3000]
    alice.refresh_from_db()
    assert (alice.is_active, alice.is_staff) == (False, False)
    assert _events() == [
        ("user.deactivate", {"is_active": True}, {"is_active": False}),
        ("user.staff", {"is_staff": True}, {"is_staff": False}),
    ]


def test_saving_unchanged_records_nothing(admin_client: Client, alice: User) -> None:
    url = _change_url(alice)
    assert admin_client.post(url, _form_data(admin_client, url)).status_code == 302
    assert _events() == []


def test_what_no_service_changes_is_read_only(admin_client: Client, alice: User) -> None:
    """The user name, superuser status, single permissions and the groups themselves: posted, ignored."""
    Group.objects.get_or_create(name=Role.ADMINISTRATOR.value)
    admin_group = Group.objects.get(name=Role.ADMINISTRATOR.value)
    url = _change_url(alice)
    data = _form_data(admin_client, url)
    data.update(username="mallory", is_superuser="on", groups=[admin_group.pk], user_permissions=["1"])
    assert admin_client.post(url, data).status_code == 302
    alice.refresh_from_db()
    assert (alice.username, alice.is_superuser, alice.roles()) == ("alice", False, {"street_staff"})
    assert not alice.user_permissions.exists()
    assert _events() == []


def test_an_administrator_cannot_lock_themselves_out_or_change_their_own_powers(
    admin_client: Client, root: User
) -> None:
    url = _change_url(root)
    data = _form_data(admin_client, url)
    data.pop("is_active", None)
    data.update(roles=[Role.AUDITOR.value])
    assert admin_client.post(url, data).status_code == 302
    root.refresh_from_db()
    assert (root.is_active, root.is_staff, root.roles()) == (True, True, {"administrator"})
    assert _events() == []
    with pytest.raises(ValidationError):
        user_set_active(user=root, active=False, actor=root)


def test_accounts_cannot_be_deleted_in_administration(admin_client: Client, alice: User) -> None:
    url = reverse("admin:accounts_user_delete", args=[alice.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()


def test_the_password_page_sets_the_password_through_the_service(
    admin_client: Client, alice: User, root: User
) -> None:
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = admin_client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    event = Event.objects.get(verb="user.password")
    assert (event.actor, event.target_id, event.after) == (root, str(alice.pk), {"usable": True})
    assert NEW_PASSWORD not in str(event.after) + str(event.before)


def test_a_weak_password_is_refused_on_the_password_page(admin_client: Client, alice: User) -> None:
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    weak = {"password1": "password", "password2": "password", "usable_password": "true"}
    response = admin_client.post(url, weak)
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not Event.objects.filter(verb="user.password").exists()


def test_user_update_refuses_what_is_not_profile(alice: User) -> None:
    with pytest.raises(TypeError):
        user_update(user=alice, actor=None, is_superuser=True)
    make_persona("bob")
    alice.refresh_from_db()
    assert alice.is_superuser is False


def test_a_roles_permissions_change_through_role_set_permissions(admin_client: Client, root: User) -> None:
    from django.contrib.auth.models import Permission

    group, _created = Group.objects.get_or_create(name=Role.AUDITOR.value)
    view_event = Permission.objects.get(content_type__app_label="core", codename="view_event")
    url = reverse("admin:auth_group_change", args=[group.pk])
    response = admin_client.post(url, {"name": "administrator", "permissions": [view_event.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    group.refresh_from_db()
    assert (group.name, list(group.permissions.all())) == ("auditor", [view_event])  # the name is the role
    event = Event.objects.get(verb="role.permissions")
    assert (event.actor, event.before, event.after) == (
        root,
        {"permissions": []},
        {"permissions": ["core.view_event"]},
    )


def test_role_groups_cannot_be_added_or_deleted_in_administration(admin_client: Client) -> None:
    group, _created = Group.objects.get_or_create(name=Role.AUDITOR.value)
    assert admin_client.post(reverse("admin:auth_group_add"), {"name": "superpowers"}).status_code == 403
    delete = reverse("admin:auth_group_delete", args=[group.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert not Group.objects.filter(name="superpowers").exists()
    assert Group.objects.filter(pk=group.pk).exists()


def test_second_factors_are_shown_without_secrets_and_only_removed_through_the_service(
    admin_client: Client, root: User, alice: User
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)
    url = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert admin_client.post(url, {"user": root.pk, "name": "mine", "confirmed": "on"}).status_code == 403
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = Event.objects.get(verb="auth.2fa_device_removed")
    assert (event.actor, event.target_id, event.before) == (root, str(alice.pk), {"confirmed": True})


def test_every_admin_list_and_add_page_answers(admin_client: Client) -> None:
    """A smoke test over the whole admin: each list opens; each add page opens or is refused (read-only)."""
    from django.contrib import admin

    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        listing = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert listing.status_code == 200, model
        add = admin_client.get(reverse("admin:{}_{}_add".format(*info)))
        assert add.status_code in (200, 403), model

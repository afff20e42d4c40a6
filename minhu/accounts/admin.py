"""Accounts in administration: every change goes through the accounts services, and so the timeline.

Adding a user is `user_create`; on the change page the profile is `user_update`, "active" `user_set_active`,
"staff" `user_set_staff`, the roles `user_set_roles` and the password page `user_set_password`. What the
services do not change is shown read-only: the user name (events keep the name an actor used), superuser
status (given only by `minhu createsuperuser`) and single permissions (powers come from roles). Accounts are
deactivated, never deleted.

The role groups are fixed (one per `Role`): here only what each may do in administration changes, through
`role_set_permissions`. Second-factor devices are shown without their secrets and only removed, through
`totp_device_remove` (the owner enrols again).
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from minhu.accounts.models import ApiToken, User
from minhu.accounts.roles import Role
from minhu.accounts.services import (
    PROFILE_FIELDS,
    role_set_permissions,
    roles_check,
    token_revoke,
    totp_device_remove,
    user_create,
    user_set_active,
    user_set_password,
    user_set_roles,
    user_set_staff,
    user_update,
)
from minhu.core.types import Actor, login_of


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The system administrator and the security auditor must be different people."),
    )


def _clean_roles(form: forms.BaseForm) -> list[str]:
    try:
        return roles_check(form.cleaned_data.get("roles") or [])
    except ValidationError as refused:
        raise forms.ValidationError(refused.messages) from refused


class UserAddForm(UserCreationForm):  # type: ignore[type-arg]
    """The admin's add form: what `user_create` takes."""

    roles = _roles_field()

    def clean_roles(self) -> list[str]:
        return _clean_roles(self)


class UserChangeAdminForm(UserChangeForm):  # type: ignore[type-arg]
    """The admin's change form, with the roles as one field (the role groups are never edited directly)."""

    roles = _roles_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "roles" in self.fields:
            self.fields["roles"].initial = sorted(self.instance.roles())

    def clean_roles(self) -> list[str]:
        return _clean_roles(self)


class PasswordViaServiceForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The admin's password page, saved by `user_set_password` as `actor` (set per request)."""

    actor: Actor = None

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        return user_set_password(user=self.user, password=password, actor=self.actor)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    form = UserChangeAdminForm
    add_form = UserAddForm
    change_password_form = PasswordViaServiceForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": PROFILE_FIELDS}),
        (_("Access"), {"fields": ("is_active", "is_staff", "roles")}),
        (_("Powers held outside administration"), {"fields": ("is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "display_name",
                    "phone",
                    "is_staff",
                    "roles",
                ),
            },
        ),
    )
    readonly_fields = ["username", "is_superuser", "user_permissions", "last_login", "date_joined"]
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "display_name"]
    filter_horizontal = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []  # the add form: user name and password
        if obj.pk == request.user.pk:  # nobody locks themselves out or changes their own powers
            return [*self.readonly_fields, "is_active", "is_staff", "roles"]
        return list(self.readonly_fields)

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        """The roles where they are read-only (an administrator's own account)."""
        return ", ".join(obj.role_labels())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: events, appeals and entries point to the account

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # The changeform view runs in one transaction: the services below commit or fail together.
        data = form.cleaned_data
        if not change:
            saved = user_create(
                username=data["username"],
                password=data["password1"],
                actor=login_of(request.user),
                display_name=data.get("display_name", ""),
                phone=data.get("phone", ""),
                roles=data.get("roles") or [],
                is_staff=bool(data.get("is_staff")),
            )
            obj.pk = saved.pk
            obj._state.adding = False
            return
        changed = set(form.changed_data)
        profile = {f: data[f] for f in PROFILE_FIELDS if f in changed}
        if profile:
            user_update(user=obj, actor=login_of(request.user), **profile)
        if "is_active" in changed:
            user_set_active(user=obj, active=bool(data["is_active"]), actor=login_of(request.user))
        if "is_staff" in changed:
            user_set_staff(user=obj, staff=bool(data["is_staff"]), actor=login_of(request.user))
        if "roles" in changed:
            user_set_roles(user=obj, roles=data["roles"], actor=login_of(request.user))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no relation is edited here: the roles went through user_set_roles in save_model

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # The form saves through the service, which needs the acting user: a copy of this admin, for this
        # request only, carries a form class that knows it (the admin itself is shared by every request).
        for_request = copy.copy(self)
        form: type[PasswordViaServiceForm] = type(
            "PasswordViaServiceForm", (PasswordViaServiceForm,), {"actor": request.user}
        )
        for_request.change_password_form = form
        return DjangoUserAdmin.user_change_password(for_request, request, id, form_url)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Read-only here: tokens are issued and revoked by their owners on /accounts/tokens/ (and recorded);
    an administrator revokes one with the action below, which goes through the same service."""

    list_display = [
        "name",
        "user",
        "key_prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "key_prefix"]
    readonly_fields = [
        "user",
        "name",
        "scopes",
        "key_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, actor=login_of(request.user))


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(DjangoGroupAdmin):
    """A role's group: its name is the role (fixed); its permissions change through the service."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the roles are `Role`; a group of another name would be no role at all

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name"]

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        pass  # the name is read-only: nothing of the group row itself changes

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        role_set_permissions(
            group=form.instance, permissions=form.cleaned_data["permissions"], actor=login_of(request.user)
        )


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin[TOTPDevice]):
    """Second factors, listed without their secrets; removing one is `totp_device_remove` (recorded)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__display_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]  # never the key
    readonly_fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a device is enrolled by its owner, scanning the code

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        totp_device_remove(device=obj, actor=login_of(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        for device in queryset.select_related("user"):
            totp_device_remove(device=device, actor=login_of(request.user))

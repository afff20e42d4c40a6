"""Minhu's user, and the tokens that let a program act as one."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.accounts.roles import Role


class User(AbstractUser):
    """A person who logs in. Residents may also act without an account (reporting and tracking need none).

    Invariants: user names are unique; accounts are deactivated, never deleted, once they have a history.
    """

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    def roles(self) -> set[str]:
        """The role slugs of this user's groups (cached on the instance by prefetch when listed)."""
        return {g.name for g in self.groups.all() if g.name in Role.values}

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles()

    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in sorted(self.roles())]


class Scope(models.TextChoices):
    """What a JSON API token may do; within it, the token's user sees and changes only their own scope."""

    GRID_READ = "grid:read", _("Read units and households")
    APPEALS_READ = "appeals:read", _("Read appeals, their timelines and rates")
    APPEALS_WRITE = "appeals:write", _("File appeals and act on them")
    EVENTS_READ = "events:read", _("Read the audit trail")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


TOKEN_PREFIX_LENGTH = 10  # "mhu_" and six random characters: enough to tell tokens apart in lists and logs


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal token for the JSON API (`Authorization: Bearer …`): it acts as its user, limited to its
    scopes.

    Invariants: only the SHA-256 of the token is stored (tokens are long random strings: a fast hash is
    enough), with its first characters kept to tell tokens apart; the plaintext is shown once. A revoked or
    expired token never works again; revoking keeps the row (events point to it).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("what the token is for"))
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(_("token prefix"), max_length=TOKEN_PREFIX_LENGTH, editable=False)
    # Serves the lookup of every API request by the presented token's hash.
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def has_scope(self, scope: Scope | str) -> bool:
        return str(scope) in self.scopes

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

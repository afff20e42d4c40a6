"""Minhu's user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
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

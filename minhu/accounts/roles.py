"""Roles are Django groups, one per kind of user in DESIGN.md. Scope (which units) comes from posts and
responsibilities in the grid; a role says what kind of work a user does there."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_MEMBER = "grid_member", _("Party member / grid member")
    VILLAGE_CADRE = "village_cadre", _("Village or community cadre")
    STREET_STAFF = "street_staff", _("Street staff")
    DISTRICT_STAFF = "district_staff", _("District staff")
    AUDITOR = "auditor", _("Security auditor")
    ADMINISTRATOR = "administrator", _("System administrator")

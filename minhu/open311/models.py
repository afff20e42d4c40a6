"""Open311 clients (who may post, by api_key) and the appeals they posted."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 10  # "m311_" and five random characters: enough to tell keys apart in lists and logs


def key_hash(key: str) -> str:
    """SHA-256 of an api_key. Keys are long random strings, so a fast hash is enough: there is nothing to
    guess from it (a slow password hash protects low-entropy secrets, not these)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Client(models.Model):
    """An Open311 client (a city app, a FixMyStreet instance) and its api_key.

    Invariants: only the SHA-256 of the key is stored, with its first characters kept visible to tell keys
    apart; the plaintext is shown once, when `client_issue` makes it. A revoked client stays (its appeals
    point to it) and never comes back: `active` is false exactly when `revoked_at` is set. At most one
    active client per name.
    """

    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, blank=True, help_text=_("who runs the client"))
    key_prefix = models.CharField(_("key prefix"), max_length=KEY_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True, revoked_at__isnull=True) | Q(active=False, revoked_at__isnull=False),
                name="open311_client_revoked_iff_inactive",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(active=True),
                name="open311_client_one_active_per_name",
                violation_error_message=_(
                    "A client with this name already has an active key: revoke it first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Submission(models.Model):
    """One appeal posted through Open311: which client posted it, and the media_url it gave.

    `submitted_at` repeats the appeal's (which never changes) so that the search — a window of
    requested_datetime, newest first — reads one index of this table instead of sorting a join.
    """

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.PROTECT, related_name="open311"
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="submissions"
    )
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # GET requests: a window of requested_datetime, newest first (ties by id), at most 1000
            models.Index(fields=["submitted_at", "id"], name="open311_sub_time"),
        ]

    def __str__(self) -> str:
        return f"{self.client.name}: {self.appeal_id}"

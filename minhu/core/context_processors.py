from __future__ import annotations

from django.http import HttpRequest

from minhu.core.models import Notification


def inbox(request: HttpRequest) -> dict[str, int]:
    """The unread count for the header badge (one indexed count query, only when logged in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": Notification.objects.inbox(user).unread().count()}

"""Home page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from minhu.core.http import HtmxHttpRequest
from minhu.core.models import Notification, NotificationPreference
from minhu.core.selectors import health_read, undelivered_for, undelivered_scope_q
from minhu.core.services import notification_mark_read, notification_preference_set, notification_retry
from minhu.core.supervisor import read_state
from minhu.core.types import login_of
from minhu.core.workdays import years_without_schedule


@login_required
def home(request: HttpRequest) -> HttpResponse:
    this_year = timezone.localdate().year
    missing = years_without_schedule([this_year, this_year + 1]) if request.user.is_staff else []
    return render(request, "core/home.html", {"calendar_missing_years": missing})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers and every migration is applied (the worker's age is reported, not
    required: a stale worker degrades background work but the pages still serve); 503 otherwise."""
    h = health_read()
    body = {
        "status": h.status,
        "database": h.database,
        "migrations": h.migrations,
        "worker": {
            "status": h.worker,
            "last_seen": h.worker_last_seen.isoformat() if h.worker_last_seen else None,
            "age_seconds": h.worker_age_seconds,
        },
        # under `minhu run`: each child process, and how often it was restarted after a crash
        "processes": read_state(settings.DATA_DIR),
    }
    return JsonResponse(body, status=200 if h.ok else 503)


@login_required
@require_POST
def notification_preference(request: HtmxHttpRequest) -> HttpResponse:
    """The inbox's "daily digest" choice."""
    raw_hour = request.POST.get("digest_hour", "18")
    try:
        notification_preference_set(
            user=login_of(request.user),
            digest=request.POST.get("digest") == "on",
            digest_hour=int(raw_hour) if raw_hour.isdigit() else -1,
        )
        messages.success(request, _("Saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:inbox")


@login_required
def delivery_failures(request: HtmxHttpRequest) -> HttpResponse:
    """Messages that could not be delivered after every retry, or are still being retried, for the staff who
    run the platform (street and district staff within their scope, administrators); POST gives one another
    try (refused, 403, for a message the user may not see)."""
    user = login_of(request.user)
    if undelivered_scope_q(user) is None:
        raise Http404
    if request.method == "POST":
        raw = request.POST.get("id", "")
        if raw.isdigit():
            notification_retry(notification_id=int(raw), actor=user)
            messages.success(request, _("Queued for another try."))
        return redirect("core:delivery_failures")
    failed, retrying = undelivered_for(user)
    return render(request, "core/delivery_failures.html", {"failed": failed, "retrying": retrying})


@login_required
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    """The user's in-app notifications, newest first; POST marks them read (all, or the one given)."""
    user = login_of(request.user)
    if request.method == "POST":
        raw = request.POST.get("id", "")
        notification_mark_read(user=user, ids=[int(raw)] if raw.isdigit() else None)
        if not request.htmx:
            return redirect("core:inbox")
    items = list(Notification.objects.inbox(user).order_by("-created_at", "-id")[:100])
    unread = sum(1 for n in items if n.read_at is None)
    template = "core/_inbox_list.html" if request.htmx else "core/inbox.html"
    pref = NotificationPreference.objects.filter(user=user).first()
    return render(request, template, {"items": items, "unread": unread, "pref": pref})

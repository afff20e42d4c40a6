"""Home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from minhu.core.http import HtmxHttpRequest
from minhu.core.models import Notification
from minhu.core.selectors import health_read
from minhu.core.services import notification_mark_read
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
    }
    return JsonResponse(body, status=200 if h.ok else 503)


@login_required
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    """The user's in-app notifications, newest first; POST marks them read (all, or the one given)."""
    if request.method == "POST":
        raw = request.POST.get("id", "")
        notification_mark_read(user=request.user, ids=[int(raw)] if raw.isdigit() else None)
        if not request.htmx:
            return redirect("core:inbox")
    items = list(Notification.objects.inbox(request.user).order_by("-created_at", "-id")[:100])
    unread = sum(1 for n in items if n.read_at is None)
    template = "core/_inbox_list.html" if request.htmx else "core/inbox.html"
    return render(request, template, {"items": items, "unread": unread})

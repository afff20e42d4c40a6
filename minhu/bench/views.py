"""The benchmark's baseline: a POST that inserts one row and answers, in the same server as intake.

Mounted only when MINHU_BENCH_ENDPOINTS=1 (config/urls.py). Intake's throughput is reported as a share of
this one's: what the server, the middleware and one committed INSERT cost; the rest is the app's. The row is
an event written through `event_record`, the one way into the append-only timeline.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from minhu.core.services import event_record


@csrf_exempt  # a bench-only endpoint for the load generator, never mounted in production
@require_POST
def baseline(request: HttpRequest) -> JsonResponse:
    row = event_record(actor=None, actor_label="bench", verb="bench.baseline")
    return JsonResponse({"id": row.pk})

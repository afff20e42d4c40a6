from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark commands (`minhu synth`, `minhu bench`) and the bench-only baseline URL; no models."""

    name = "minhu.bench"
    verbose_name = "Benchmarks"

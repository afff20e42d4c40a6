"""Gunicorn settings for `minhu run`. Every value can be overridden with MINHU_* variables."""

from __future__ import annotations

import os

bind = os.environ.get("MINHU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MINHU_WEB_WORKERS", "2"))
threads = int(os.environ.get("MINHU_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("MINHU_WEB_TIMEOUT", "60"))
graceful_timeout = 20
accesslog = os.environ.get("MINHU_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("MINHU_FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "config.wsgi:application"

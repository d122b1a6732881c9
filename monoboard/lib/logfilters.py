"""Logging filters that keep the console to one line per refused request.

Django logs every 403 (``django.request``, "Forbidden") and every suspicious
request (``django.security.*``: a bad Host header, a CSRF failure) with a
full traceback, the latter at ERROR. Those are a visitor's mistakes or
probes, not bugs: they are written as one WARNING line each. Other errors
keep their tracebacks.
"""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        refused = record.name.startswith("django.security") or (
            record.name == "django.request" and getattr(record, "status_code", None) == 403
        )
        if refused:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True

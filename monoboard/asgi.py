"""ASGI entry point: serves long-lived Server-Sent Event streams.

At stage 1 ``manage.py serve`` runs it as the "events" process (granian
``--interface asgi`` on EVENTS_PORT) beside the WSGI web server; pages stay on
WSGI, only ``/events/`` is meant to be routed here (see docs/realtime.md).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
application = get_asgi_application()

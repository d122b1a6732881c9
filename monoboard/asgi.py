"""ASGI entry point: serves long-lived Server-Sent Event streams."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
application = get_asgi_application()

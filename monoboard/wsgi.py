"""WSGI entry point: the fast path for every page and API call."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
application = get_wsgi_application()

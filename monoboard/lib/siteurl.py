"""The site's address when ``SITE_URL`` is not set: where ``serve`` listens.

Emailed links (notifications, unsubscribe, password reset) are built from
``SITE_URL``. Without it they follow ``--host``/``--port`` (``serve`` passes
them to its children) or the ``HOST``/``PORT`` variables, so ``PORT=8001 make
run`` sends links to port 8001. Behind a proxy the public address differs
from the listening one: set ``SITE_URL`` there.
"""

from __future__ import annotations

#: A wildcard address is no place to send a reader to.
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104  (compared, never bound)


def listening_site_url(host: str, port: int) -> str:
    """``http://host:port`` for a server listening on ``host``/``port``."""
    if host in WILDCARDS:
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"

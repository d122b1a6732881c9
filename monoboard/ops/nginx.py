"""Render deploy/nginx/monoboard.conf.template: nginx in front of N app instances.

    python -m monoboard.ops.nginx --listen 127.0.0.1:8000 \\
        --app 127.0.0.1:8100 --app 127.0.0.1:8102 \\
        --events 127.0.0.1:8101 --events 127.0.0.1:8103 \\
        --static-root var/static --dir var/stage3/nginx

The template holds nginx's own syntax (``$host``...), so placeholders are
``{{name}}`` and every one must be given: a missing value is an error, not an
empty line in a config that would then fail somewhere else.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "monoboard.conf.template"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
#: Failed attempts within FAIL_TIMEOUT_S that take a server out for FAIL_TIMEOUT_S.
#: Not 1: a single 503 from the last instance standing (a database hiccup
#: during a rolling restart) would leave nginx with no server for 5 s. A dead
#: instance's refused connections are each retried on the next server, so
#: three of them cost no request.
MAX_FAILS = 3
FAIL_TIMEOUT_S = 5


@dataclass(frozen=True)
class NginxSite:
    """What differs between one nginx and another."""

    listen: str
    app: list[str]
    events: list[str]
    static_root: Path
    directory: Path
    client_max_body_size: str = "96m"
    worker_processes: str = "auto"
    access_log: str = "off"
    forwarded_proto: str = "$scheme"
    mime_types: str = "/etc/nginx/mime.types"
    #: How long the edge cache may keep a page the app marks public (the app's
    #: EDGE_CACHE_SECONDS says how long); 0: no edge cache.
    edge_cache_seconds: int = 0


def _servers(addresses: list[str]) -> str:
    return "\n".join(
        f"        server {address} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_S}s;"
        for address in addresses
    )


def render(site: NginxSite, template: str | None = None) -> str:
    """The nginx.conf text for ``site``."""
    if not site.app or not site.events:
        raise ValueError("nginx needs at least one app server and one events server")
    values = {
        "listen": site.listen,
        "app_servers": _servers(site.app),
        "events_servers": _servers(site.events),
        "static_root": str(site.static_root).rstrip("/"),
        "dir": str(site.directory),
        "client_max_body_size": site.client_max_body_size,
        "worker_processes": site.worker_processes,
        "access_log": site.access_log,
        "forwarded_proto": site.forwarded_proto,
        "mime_types": site.mime_types,
        "edge_cache": "monoboard_edge" if site.edge_cache_seconds > 0 else "off",
        "edge_cache_inactive": f"{max(site.edge_cache_seconds, 1)}s",
        # nginx started by root drops its workers to an unprivileged user;
        # started by anyone else the directive is ignored with a warning.
        "user": "user nobody nogroup;" if os.geteuid() == 0 else "",
    }
    text = TEMPLATE.read_text() if template is None else template

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the nginx template names {{{{{name}}}}}, which has no value")
        return values[name]

    return PLACEHOLDER.sub(fill, text)


def write_config(site: NginxSite) -> Path:
    """Create ``site.directory`` (readable by nginx's workers) and nginx.conf inside it."""
    site.directory.mkdir(parents=True, exist_ok=True)
    # Workers run as nobody when nginx starts as root: they must reach the
    # temp folders and the static files.
    site.directory.chmod(0o755)
    path = site.directory / "nginx.conf"
    path.write_text(render(site))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--listen", required=True, help="address:port nginx listens on")
    parser.add_argument("--app", action="append", required=True, help="host:port of a web role")
    parser.add_argument("--events", action="append", required=True, help="host:port of events")
    parser.add_argument("--static-root", type=Path, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="pid, logs and temp files")
    parser.add_argument("--client-max-body-size", default="96m")
    parser.add_argument("--access-log", default="off", help="a path, or off")
    parser.add_argument(
        "--forwarded-proto",
        default="$scheme",
        help="X-Forwarded-Proto to send: $scheme, or https behind a TLS terminator",
    )
    parser.add_argument(
        "--edge-cache-seconds",
        type=int,
        default=0,
        help="cache pages the app marks public for visitors (EDGE_CACHE_SECONDS); 0: off",
    )
    args = parser.parse_args(argv)
    site = NginxSite(
        listen=args.listen,
        app=args.app,
        events=args.events,
        static_root=args.static_root.resolve(),
        directory=args.dir.resolve(),
        client_max_body_size=args.client_max_body_size,
        access_log=args.access_log,
        forwarded_proto=args.forwarded_proto,
        edge_cache_seconds=args.edge_cache_seconds,
    )
    sys.stdout.write(render(site))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The stage-3 nginx configuration: rendered from deploy/nginx/ and accepted by nginx."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from monoboard.ops.nginx import NginxSite, render, write_config
from monoboard.testing.stage3 import nginx_binary


def site(tmp_path: Path, edge_cache_seconds: int = 0) -> NginxSite:
    return NginxSite(
        listen="127.0.0.1:8000",
        app=["127.0.0.1:8100", "127.0.0.1:8102"],
        events=["127.0.0.1:8101", "127.0.0.1:8103"],
        static_root=tmp_path / "static",
        directory=tmp_path / "nginx",
        edge_cache_seconds=edge_cache_seconds,
    )


def test_every_instance_is_an_upstream_with_passive_health_checks(tmp_path: Path) -> None:
    text = render(site(tmp_path))
    assert "{{" not in text
    assert "zone monoboard_app 64k;" in text
    assert "server 127.0.0.1:8100 max_fails=3 fail_timeout=5s;" in text
    assert "server 127.0.0.1:8103 max_fails=3 fail_timeout=5s;" in text
    assert "proxy_next_upstream error timeout http_502 http_503;" in text
    assert "listen 127.0.0.1:8000;" in text
    assert f"alias {tmp_path / 'static'}/$1;" in text
    # Only keyed API writes are ever sent twice.
    assert text.count("non_idempotent;") == 1


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(KeyError, match="port"):
        render(
            NginxSite("x", ["a"], ["b"], Path("/s"), Path("/d")),
            template="listen {{port}};",
        )
    with pytest.raises(ValueError, match="at least one"):
        render(NginxSite("x", [], ["b"], Path("/s"), Path("/d")))


def test_the_edge_cache_is_off_unless_asked_for(tmp_path: Path) -> None:
    text = render(site(tmp_path))
    assert "proxy_cache off;" in text
    assert "proxy_cache monoboard_edge;" not in text


def test_the_edge_cache_keeps_only_what_the_app_marks_public(tmp_path: Path) -> None:
    text = render(site(tmp_path, edge_cache_seconds=3))
    assert "proxy_cache monoboard_edge;" in text
    assert f"proxy_cache_path {tmp_path / 'nginx'}/edge_cache " in text
    assert "inactive=3s" in text
    # Lifetimes come from the app's Cache-Control only; Set-Cookie is honoured.
    directives = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert "proxy_cache_valid" not in directives
    assert "proxy_ignore_headers" not in directives
    # Signed in (session cookie), an API token, or a personal path: no cache.
    bypass = "$cookie_sessionid $http_authorization $monoboard_personal_path;"
    assert f"proxy_cache_bypass {bypass}" in text
    assert f"proxy_no_cache {bypass}" in text
    assert "proxy_cache_methods GET HEAD;" in text
    assert "proxy_cache_lock on;" in text
    assert "proxy_cache_use_stale updating error timeout http_500 http_502 http_503;" in text
    assert "proxy_cache_background_update on;" in text
    assert "add_header X-Cache-Status $upstream_cache_status always;" in text
    # Only `location /` caches; the event streams never do.
    assert text.count("proxy_cache monoboard_edge;") == 1


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (scripts/nginx-install)")
@pytest.mark.parametrize("edge", [0, 5])
def test_nginx_accepts_the_rendered_file(tmp_path: Path, edge: int) -> None:
    config = write_config(site(tmp_path, edge_cache_seconds=edge))
    result = subprocess.run(
        [str(nginx_binary()), "-t", "-c", str(config), "-p", str(config.parent)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr

"""Stage 3 on one machine: N app instances and a jobs worker behind nginx.

``stage3_site()`` starts, on 127.0.0.1 only, ``manage.py serve --roles
web,events`` once per instance (each on its own pair of ports), one ``serve
--roles worker``, and nginx in front of them; it stops them all on exit. The
database comes from the environment it is given (``withdb`` sets it).

    python -m monoboard.testing.stage3 --dir var/stage3 --port 8000 --instances 2

is what scripts/stage3 runs inside ``monoboard.testing.withdb``. Every
process is started in its own session with a pid file in ``--dir``; a run
that was SIGKILLed leaves its instances stopping by themselves (they get
SIGTERM when their parent dies) and the next run stops anything still
named by those pid files before it starts.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from monoboard.lib.children import stop_with_parent
from monoboard.lib.ports import free_port, wait_for_port
from monoboard.lib.secret import load_or_create_secret_key
from monoboard.ops.nginx import NginxSite, write_config
from monoboard.testing.servers import STOP_TIMEOUT_S, ServerError, _stop_leftover

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
NGINX = "/usr/sbin/nginx"
START_TIMEOUT_S = 60.0


def nginx_binary() -> str | None:
    found = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    return found


def instance_env(base: Mapping[str, str], *, instances: int, events_port: int) -> dict[str, str]:
    """What every app instance shares at stage 3, plus its own events port."""
    return {
        **base,
        "BEHIND_PROXY": "1",
        "TRUSTED_PROXIES": f"{HOST}/32",
        "INSTANCES": str(instances),
        # Pages open the stream on their own origin; nginx routes /events/.
        "REALTIME_EVENTS_URL": "/events/",
        "EVENTS_PORT": str(events_port),
    }


@dataclass
class Process:
    """One supervised ``manage.py serve`` (an instance or the worker)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    pid_file: Path
    log: Path
    port: int | None = None
    events_port: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603  (argv built here)
                self.argv,
                env=self.env,
                cwd=BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=stop_with_parent,
            )
        self.pid_file.write_text(f"{self.process.pid}\n")

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Both of an instance's ports accept connections and its web worker answers
        ``/readyz``: an open port only says granian is up, not that its worker
        has loaded Django (seconds on a busy machine). The worker: nothing to wait for."""
        deadline = time.monotonic() + timeout
        for port in (self.port, self.events_port):
            if port is None:
                continue
            try:
                wait_for_port(HOST, port, timeout=max(1.0, deadline - time.monotonic()))
            except TimeoutError as exc:
                raise ServerError(f"{self.name} did not start:\n{_tail(self.log)}") from exc
        while self.port is not None and not _ready(self.port):
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name} never answered /readyz:\n{_tail(self.log)}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM (serve drains its children) and wait; SIGKILL of the group after the timeout."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=STOP_TIMEOUT_S + 10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole instance at once: serve and every process it started."""
        process = self.process
        if process is None:
            return
        # serve's children run in sessions of their own: find them first,
        # then kill everything, so none is left to shut down gracefully.
        for pid in [process.pid, *_descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def _ready(port: int) -> bool:
    """Whether the instance on ``port`` answers /readyz with 200."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _descendants(pid: int) -> list[int]:
    """Live descendants of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Stage3:
    """A running stage-3 site."""

    directory: Path
    port: int
    instances: list[Process]
    worker: Process
    nginx: subprocess.Popen[bytes] = field(repr=False)
    nginx_dir: Path = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def restart(self, instance: Process) -> None:
        """A rolling-deploy step: drain and stop one instance, start it again, wait."""
        instance.stop()
        instance.start()
        instance.wait_ready()


def serve_argv(*, port: int, roles: str, workers: int) -> list[str]:
    return [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--roles",
        roles,
        "--workers",
        str(workers),
    ]


def _ports(base_port: int | None, count: int) -> list[tuple[int, int]]:
    """(web, events) for each instance: consecutive from ``base_port``, else free ones."""
    if base_port:
        return [(base_port + 2 * i, base_port + 2 * i + 1) for i in range(count)]
    return [(free_port(), free_port()) for _ in range(count)]


def stop_leftovers(directory: Path) -> None:
    """Stop what a killed earlier run left, by the pid files it wrote in ``directory``."""
    for pid_file in sorted(directory.glob("*.pid")):
        _stop_leftover(pid_file, what=pid_file.stem, marker="serve", sig=signal.SIGTERM)
    nginx_dir = directory / "nginx"
    _stop_leftover(
        nginx_dir / "nginx.pid",
        what="nginx",
        marker=str(nginx_dir / "nginx.conf"),
        sig=signal.SIGTERM,
    )


@contextlib.contextmanager
def stage3_site(
    *,
    directory: Path,
    env: Mapping[str, str],
    instances: int = 2,
    port: int | None = None,
    base_port: int | None = None,
    web_workers: int = 2,
    edge_cache_seconds: int = 0,
    log: bool = False,
) -> Iterator[Stage3]:
    """Start the instances, the worker and nginx; stop them all on exit.

    ``env`` must name the database; static files are collected beforehand
    (nginx serves them from STATIC_ROOT, the site's data folder's static/).
    ``edge_cache_seconds`` > 0 turns nginx's edge cache on and gives the
    instances the same EDGE_CACHE_SECONDS.
    """
    binary = nginx_binary()
    if binary is None:
        raise ServerError("nginx is not installed: apt-get install nginx")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    stop_leftovers(directory)
    port = port or free_port()
    started: list[Process] = []
    nginx: subprocess.Popen[bytes] | None = None
    if edge_cache_seconds > 0:
        env = {**env, "EDGE_CACHE_SECONDS": str(edge_cache_seconds)}

    def say(line: str) -> None:
        if log:
            print(f"stage3: {line}", file=sys.stderr, flush=True)

    try:
        apps = []
        for i, (web, events) in enumerate(_ports(base_port, instances), start=1):
            app = Process(
                name=f"instance-{i}",
                argv=serve_argv(port=web, roles="web,events", workers=web_workers),
                env=instance_env(env, instances=instances, events_port=events),
                pid_file=directory / f"instance-{i}.pid",
                log=directory / f"instance-{i}.log",
                port=web,
                events_port=events,
            )
            app.start()
            started.append(app)
            apps.append(app)
            say(f"{app.name} on {HOST}:{web} (events {HOST}:{events}), log {app.log}")
        worker = Process(
            name="worker",
            argv=serve_argv(port=0, roles="worker", workers=1),
            env=instance_env(env, instances=instances, events_port=0),
            pid_file=directory / "worker.pid",
            log=directory / "worker.log",
        )
        worker.start()
        started.append(worker)
        say(f"jobs worker, log {worker.log}")
        for app in apps:
            app.wait_ready()
        static_root = Path(env.get("MONOBOARD_DATA_DIR") or BASE_DIR / "var") / "static"
        nginx_dir = directory / "nginx"
        config = write_config(
            NginxSite(
                listen=f"{HOST}:{port}",
                app=[f"{HOST}:{a.port}" for a in apps],
                events=[f"{HOST}:{a.events_port}" for a in apps],
                static_root=static_root.resolve(),
                directory=nginx_dir,
                edge_cache_seconds=edge_cache_seconds,
            )
        )
        nginx = subprocess.Popen(  # noqa: S603
            [binary, "-c", str(config), "-p", str(nginx_dir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(nginx_dir / "stderr.log").open("ab"),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=stop_with_parent,
        )
        try:
            wait_for_port(HOST, port, timeout=START_TIMEOUT_S)
        except TimeoutError as exc:
            raise ServerError(f"nginx did not start:\n{_tail(nginx_dir / 'error.log')}") from exc
        if nginx.poll() is not None:
            raise ServerError(f"nginx exited:\n{_tail(nginx_dir / 'stderr.log')}")
        say(f"nginx on {HOST}:{port} -> {len(apps)} instances, config {config}")
        yield Stage3(directory, port, apps, worker, nginx, nginx_dir)
    finally:
        if nginx is not None and nginx.poll() is None:
            # SIGQUIT: nginx's graceful stop, then wait for it.
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(timeout=10)
        for process in reversed(started):
            process.stop()
            process.pid_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=8100)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--edge-cache-seconds",
        type=int,
        default=0,
        help="nginx keeps visitors' pages this long (and the instances say so); 0: off",
    )
    parser.add_argument(
        "--s3",
        choices=("none", "moto"),
        default="none",
        help="moto: images on a throwaway S3-protocol server (in memory, gone at stop)",
    )
    args = parser.parse_args(argv)
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    directory = args.dir.resolve()
    env = dict(os.environ)
    # One key for every instance: a session or CSRF token signed by one is
    # checked by another. Generated once, kept in the stage-3 folder.
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = load_or_create_secret_key(directory / "secret_key")
    with contextlib.ExitStack() as stack:
        if args.s3 == "moto":
            env.update(_moto_storage(stack))
        return _serve(args, directory, env, stopping)


def _moto_storage(stack: contextlib.ExitStack) -> dict[str, str]:
    """Start moto's S3 server for this run; the STORAGE_S3_* variables that use it."""
    from monoboard.testing import s3

    store = stack.enter_context(s3.s3_server())
    print(f"stage3: images on a throwaway S3 server at {store.endpoint_url}", flush=True)
    return {
        "STORAGE_S3_BUCKET": store.new_bucket(),
        "STORAGE_S3_ENDPOINT_URL": store.endpoint_url,
        "STORAGE_S3_ACCESS_KEY_ID": s3.ACCESS_KEY,
        "STORAGE_S3_SECRET_ACCESS_KEY": s3.SECRET_KEY,
        "STORAGE_S3_REGION": s3.REGION,
        "STORAGE_S3_ADDRESSING_STYLE": "path",
    }


def _serve(
    args: argparse.Namespace, directory: Path, env: dict[str, str], stopping: list[int]
) -> int:
    with stage3_site(
        directory=directory,
        env=env,
        instances=args.instances,
        port=args.port,
        base_port=args.base_port,
        web_workers=args.web_workers,
        edge_cache_seconds=args.edge_cache_seconds,
        log=True,
    ) as site:
        stage = "stage 4" if env.get("DATABASE_REPLICA_URLS") else "stage 3"
        edge = f", edge cache {args.edge_cache_seconds} s" if args.edge_cache_seconds else ""
        print(
            f"monoboard ({stage}: {args.instances} instances behind nginx{edge}) "
            f"is serving on {site.url}",
            flush=True,
        )
        while not stopping:
            if site.nginx.poll() is not None:
                print("stage3: nginx exited; stopping", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())

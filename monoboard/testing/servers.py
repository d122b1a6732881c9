"""Throwaway PostgreSQL and PgBouncer servers on loopback, for tests and try-outs.

``postgres_server()`` runs initdb in a fresh directory, starts PostgreSQL on a
free 127.0.0.1 port (sockets in the data directory), creates a login role with
CREATEDB (pytest-django creates ``test_<name>`` itself) and a database, and
stops and removes everything on exit. ``pgbouncer_server()`` puts a
transaction-mode PgBouncer in front of one. Both servers refuse to run as
root, so when this process is root they run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from monoboard.lib.ports import free_port, wait_for_port

#: Settings a throwaway cluster can afford: durability is not the point.
FAST_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "on",
    "timezone": "UTC",
    "log_min_messages": "warning",
}

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0


class ServerError(RuntimeError):
    """A throwaway server could not be set up; the message carries its log."""


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout first)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if candidates:
        return candidates[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServerError("PostgreSQL is not installed: run scripts/pg-install")


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if not found:
        raise ServerError("PgBouncer is not installed: run scripts/pg-install")
    return found


def servers_available() -> bool:
    """Whether both servers are installed (tests skip cleanly when not)."""
    try:
        postgres_bin_dir()
        pgbouncer_binary()
    except ServerError:
        return False
    return True


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) of the postgres account when we are root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServerError(
            "running as root needs a 'postgres' user: run scripts/pg-install"
        ) from exc
    return entry.pw_uid, entry.pw_gid


@dataclass(frozen=True)
class _Account:
    """Who a server process runs as: the postgres account when we are root."""

    user: int | None
    group: int | None
    extra_groups: list[int] | None


def _account() -> _Account:
    ids = _run_as()
    if ids is None:
        return _Account(None, None, None)
    return _Account(ids[0], ids[1], [])


def _popen(argv: list[str], *, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a server process in its own session, output appended to ``log``."""
    account = _account()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(log.open("ab")) if log else subprocess.DEVNULL
        return subprocess.Popen(  # noqa: S603  (fixed argv built here)
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=account.user,
            group=account.group,
            extra_groups=account.extra_groups,
        )


def _run(argv: list[str], *, what: str, timeout: float = 120.0) -> str:
    """Run a short command (initdb, psql) to completion; its stdout, or raise."""
    account = _account()
    result = subprocess.run(  # noqa: S603
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        user=account.user,
        group=account.group,
        extra_groups=account.extra_groups,
    )
    if result.returncode != 0:
        raise ServerError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")
    return str(result.stdout).strip()


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    ids = _run_as()
    if ids:
        os.chown(path, *ids)
    path.chmod(0o700)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes], *, sig: int = signal.SIGINT) -> None:
    """Stop one server by its PID; SIGKILL if it does not go in time."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class PostgresServer:
    """A running throwaway cluster and how to reach it."""

    host: str
    port: int
    data_dir: Path
    user: str
    password: str
    dbname: str
    process: subprocess.Popen[bytes] = field(repr=False)
    bin_dir: Path = field(repr=False)
    argv: list[str] = field(repr=False, default_factory=list)

    def url(self, dbname: str | None = None) -> str:
        return (
            f"postgres://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.port}/"
            f"{quote(dbname or self.dbname)}"
        )

    def stop(self) -> None:
        """Fast shutdown (sessions aborted); ``start()`` brings it back on the same port."""
        _stop(self.process, sig=signal.SIGINT)

    def start(self) -> None:
        """Start the stopped server again with the same data and settings; wait until ready."""
        if self.process.poll() is None:
            return
        self.process = _popen(self.argv, log=self.log_path)
        _wait_ready(self)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    def psql(self, sql: str, *, dbname: str = "postgres") -> str:
        """Run SQL as the superuser over the socket in the data dir; return stdout."""
        return _run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                dbname,
                "-c",
                sql,
            ],
            what="psql",
            timeout=60,
        )


@contextlib.contextmanager
def postgres_server(
    *,
    base_dir: Path | None = None,
    port: int | None = None,
    max_connections: int = 100,
    user: str = "monoboard",
    password: str = "monoboard",  # noqa: S107  (loopback-only throwaway server)
    dbname: str = "monoboard",
    settings: Mapping[str, str] | None = None,
    keep_data: bool = False,
) -> Iterator[PostgresServer]:
    """Start PostgreSQL on 127.0.0.1 in a new data dir; stop and remove it on exit.

    ``base_dir`` (created if needed) holds the data dir; without it a temporary
    directory is used. ``keep_data`` leaves the data dir in place on exit.
    """
    bin_dir = postgres_bin_dir()
    owns_base = base_dir is None
    base = Path(tempfile.mkdtemp(prefix="monoboard-pg-")) if base_dir is None else base_dir
    base = base.resolve()  # the server runs with the data dir as its working dir
    base.mkdir(parents=True, exist_ok=True)
    # The postgres account must be able to reach the data dir inside it.
    base.chmod(0o755)
    data_dir = base / "pgdata"
    fresh = not (data_dir / "PG_VERSION").exists()
    process: subprocess.Popen[bytes] | None = None
    server: PostgresServer | None = None
    try:
        if fresh:
            _make_dir(data_dir)
            _run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                what="initdb",
            )
        port = port or free_port()
        options = {
            **FAST_SETTINGS,
            "max_connections": str(max_connections),
            **(settings or {}),
        }
        argv = [
            str(bin_dir / "postgres"),
            "-D",
            str(data_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(data_dir),
        ]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        log = data_dir / "postgres.log"
        # SIGINT: PostgreSQL's fast shutdown.
        _stop_leftover(
            data_dir / "postmaster.pid", what="PostgreSQL", marker=str(data_dir), sig=signal.SIGINT
        )
        process = _popen(argv, log=log)
        server = PostgresServer(
            host="127.0.0.1",
            port=port,
            data_dir=data_dir,
            user=user,
            password=password,
            dbname=dbname,
            process=process,
            bin_dir=bin_dir,
            argv=argv,
        )
        _wait_ready(server)
        if fresh:
            server.psql(f"CREATE ROLE \"{user}\" LOGIN CREATEDB PASSWORD '{password}'")
            server.psql(f'CREATE DATABASE "{dbname}" OWNER "{user}"')
        yield server
    finally:
        if server is not None:  # the current process: start() may have replaced it
            process = server.process
        if process is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: abort sessions, stop cleanly.
            _stop(process, sig=signal.SIGINT)
        if owns_base and not keep_data:
            shutil.rmtree(base, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _stop_leftover(pid_file: Path, *, what: str, marker: str, sig: int) -> None:
    """Stop a server an earlier run left running (its supervisor was killed).

    ``pid_file`` names its process; it is only stopped if its command line
    still holds ``marker`` (a reused pid belongs to someone else). A new
    server must not start beside it: PostgreSQL would refuse the data
    directory, PgBouncer the port, and the old one would answer instead.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = ""
    if not _pid_alive(pid) or marker not in command:
        return
    print(
        f"servers: {what} left running by an earlier run (pid {pid}, {pid_file.parent}): "
        "stopping it before starting a new one",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"PostgreSQL exited with {server.process.returncode}:\n{_tail(server.log_path)}"
            )
        ready = subprocess.run(  # noqa: S603
            [
                str(server.bin_dir / "pg_isready"),
                "-q",
                "-h",
                str(server.data_dir),
                "-p",
                str(server.port),
                "-t",
                "1",
            ],
            check=False,
            timeout=10,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.05)
    raise ServerError(f"PostgreSQL not ready in {START_TIMEOUT_S:.0f}s:\n{_tail(server.log_path)}")


@dataclass
class PgBouncerServer:
    """A running PgBouncer in front of one PostgreSQL server."""

    host: str
    port: int
    directory: Path
    backend: PostgresServer
    pool_mode: str
    default_pool_size: int
    process: subprocess.Popen[bytes] = field(repr=False)

    def url(self, dbname: str | None = None) -> str:
        b = self.backend
        return (
            f"postgres://{quote(b.user)}:{quote(b.password)}@{self.host}:{self.port}/"
            f"{quote(dbname or b.dbname)}"
        )


@contextlib.contextmanager
def pgbouncer_server(
    backend: PostgresServer,
    *,
    base_dir: Path | None = None,
    port: int | None = None,
    pool_mode: str = "transaction",
    default_pool_size: int = 20,
    max_client_conn: int = 2000,
) -> Iterator[PgBouncerServer]:
    """Start PgBouncer on 127.0.0.1 for every database of ``backend``.

    The ``*`` entry forwards any database name, so pytest-django's
    ``test_<name>`` works through it too.
    """
    binary = pgbouncer_binary()
    owns_base = base_dir is None
    directory = Path(tempfile.mkdtemp(prefix="monoboard-pgb-")) if base_dir is None else base_dir
    _make_dir(directory)
    directory.chmod(0o755)
    port = port or free_port()
    auth_file = directory / "userlist.txt"
    auth_file.write_text(f'"{backend.user}" "{backend.password}"\n')
    log = directory / "pgbouncer.log"
    log.touch()
    config = directory / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host=127.0.0.1 port={backend.port}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                f"unix_socket_dir = {directory}",
                f"logfile = {log}",
                "auth_type = scram-sha-256",
                f"auth_file = {auth_file}",
                f"pool_mode = {pool_mode}",
                f"default_pool_size = {default_pool_size}",
                f"max_client_conn = {max_client_conn}",
                # Django and psycopg send these at start-up; PgBouncer would
                # refuse the connection over a parameter it does not track.
                "ignore_startup_parameters = extra_float_digits,options",
                "server_reset_query = DISCARD ALL",
                "server_idle_timeout = 10",
                # After a failed login to PostgreSQL (a restart, a failover)
                # PgBouncer refuses every client until it retries: 15 s by
                # default, which made a 0.3 s restart 15 s of failed writes.
                "server_login_retry = 1",
                "log_connections = 0",
                "log_disconnections = 0",
                "",
            ]
        )
    )
    ids = _run_as()
    if ids:
        for path in (auth_file, log, config):
            os.chown(path, *ids)
    auth_file.chmod(0o600)
    process: subprocess.Popen[bytes] | None = None
    # PgBouncer writes no pid file in the foreground; this one is ours.
    pid_file = directory / "monoboard-pgbouncer.pid"
    _stop_leftover(pid_file, what="PgBouncer", marker=str(config), sig=signal.SIGTERM)
    try:
        process = _popen([binary, str(config)], log=None)
        pid_file.write_text(f"{process.pid}\n")
        try:
            wait_for_port("127.0.0.1", port, timeout=START_TIMEOUT_S)
        except TimeoutError as exc:
            raise ServerError(f"PgBouncer did not start:\n{_tail(log)}") from exc
        if process.poll() is not None:
            raise ServerError(f"PgBouncer exited with {process.returncode}:\n{_tail(log)}")
        yield PgBouncerServer(
            host="127.0.0.1",
            port=port,
            directory=directory,
            backend=backend,
            pool_mode=pool_mode,
            default_pool_size=default_pool_size,
            process=process,
        )
    finally:
        if process is not None:
            # SIGINT: PgBouncer's safe shutdown waits for clients; SIGTERM is immediate.
            _stop(process, sig=signal.SIGTERM)
            pid_file.unlink(missing_ok=True)
        if owns_base:
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def replica_server(
    primary: PostgresServer,
    *,
    base_dir: Path | None = None,
    port: int | None = None,
    apply_delay_ms: int = 0,
    max_connections: int = 100,
) -> Iterator[PostgresServer]:
    """A streaming replica of ``primary`` (``pg_basebackup -R``) on its own port.

    ``apply_delay_ms`` sets ``recovery_min_apply_delay``: the replica receives
    the WAL at once but replays each commit only that long after it happened,
    a lagging replica on purpose. ``max_connections`` must be at least the
    primary's (a hot standby refuses to start otherwise). ``base_dir`` keeps
    the replica's data there between runs (a copy of another cluster is
    taken again); without it a temporary directory is used and removed.
    """
    owns_base = base_dir is None
    base = Path(tempfile.mkdtemp(prefix="monoboard-replica-")) if base_dir is None else base_dir
    base = base.resolve()
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    data_dir = base / "pgdata"
    process: subprocess.Popen[bytes] | None = None
    server: PostgresServer | None = None
    try:
        _stop_leftover(
            data_dir / "postmaster.pid", what="replica", marker=str(data_dir), sig=signal.SIGINT
        )
        if not _same_cluster(primary.data_dir, data_dir):
            shutil.rmtree(data_dir, ignore_errors=True)
            _make_dir(data_dir)
            _base_backup(primary, data_dir)
        port = port or free_port()
        options = {
            **FAST_SETTINGS,
            "max_connections": str(max_connections),
            "hot_standby": "on",
            # Long reads are not cancelled by the primary vacuuming rows they see.
            "hot_standby_feedback": "on",
            "recovery_min_apply_delay": f"{apply_delay_ms}ms",
        }
        argv = [str(primary.bin_dir / "postgres"), "-D", str(data_dir)]
        argv += ["-h", "127.0.0.1", "-p", str(port), "-k", str(data_dir)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        process = _popen(argv, log=data_dir / "postgres.log")
        server = PostgresServer(
            host="127.0.0.1",
            port=port,
            data_dir=data_dir,
            user=primary.user,
            password=primary.password,
            dbname=primary.dbname,
            process=process,
            bin_dir=primary.bin_dir,
            argv=argv,
        )
        _wait_ready(server)
        yield server
    finally:
        if server is not None:
            process = server.process
        if process is not None:
            _stop(process, sig=signal.SIGINT)
        if owns_base:
            shutil.rmtree(base, ignore_errors=True)


def _same_cluster(primary_dir: Path, replica_dir: Path) -> bool:
    """Whether ``replica_dir`` holds a copy of the cluster in ``primary_dir``
    (pg_control starts with the cluster's system identifier)."""
    try:
        ours = (replica_dir / "global" / "pg_control").read_bytes()[:8]
        theirs = (primary_dir / "global" / "pg_control").read_bytes()[:8]
    except OSError:
        return False
    return ours == theirs and (replica_dir / "standby.signal").exists()


def _base_backup(primary: PostgresServer, data_dir: Path) -> None:
    _run(
        [
            str(primary.bin_dir / "pg_basebackup"),
            "-h",
            str(primary.data_dir),
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(data_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
        what="pg_basebackup",
    )
    (data_dir / "postmaster.pid").unlink(missing_ok=True)


def redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if not found:
        raise ServerError("Redis is not installed: run scripts/redis-install")
    return found


def redis_available() -> bool:
    try:
        redis_binary()
    except ServerError:
        return False
    return True


@dataclass
class RedisServer:
    """A running throwaway Redis; ``stop()`` and ``start()`` keep its port."""

    host: str
    port: int
    directory: Path
    argv: list[str] = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def stop(self, *, kill: bool = False) -> None:
        _stop(self.process, sig=signal.SIGKILL if kill else signal.SIGTERM)

    def start(self) -> None:
        if self.process.poll() is None:
            return
        self.process = _start_redis(self.argv, self.port, self.directory)


def _start_redis(argv: list[str], port: int, directory: Path) -> subprocess.Popen[bytes]:
    with (directory / "redis.log").open("ab") as out:
        process = subprocess.Popen(  # noqa: S603  (fixed argv built here)
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=START_TIMEOUT_S)
    except TimeoutError as exc:
        _stop(process, sig=signal.SIGKILL)
        raise ServerError(f"Redis did not start:\n{_tail(directory / 'redis.log')}") from exc
    return process


@contextlib.contextmanager
def redis_server(*, base_dir: Path | None = None, port: int | None = None) -> Iterator[RedisServer]:
    """Redis on 127.0.0.1 with no persistence (a cache), in a temporary directory
    or in ``base_dir`` (its log and pid file, kept between runs)."""
    binary = redis_binary()
    owns_base = base_dir is None
    directory = Path(tempfile.mkdtemp(prefix="monoboard-redis-")) if base_dir is None else base_dir
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pid_file = directory / "redis.pid"
    _stop_leftover(pid_file, what="Redis", marker="redis-server", sig=signal.SIGTERM)
    port = port or free_port()
    argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory)]
    argv += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
    argv += ["--pidfile", str(pid_file)]
    argv += ["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
    server: RedisServer | None = None
    try:
        server = RedisServer(
            host="127.0.0.1",
            port=port,
            directory=directory,
            argv=argv,
            process=_start_redis(argv, port, directory),
        )
        yield server
    finally:
        if server is not None:
            server.stop()
        if owns_base:
            shutil.rmtree(directory, ignore_errors=True)

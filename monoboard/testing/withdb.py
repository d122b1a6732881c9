"""Run one command against throwaway PostgreSQL (and PgBouncer) servers.

    python -m monoboard.testing.withdb --via postgres -- pytest ...
    python -m monoboard.testing.withdb --via pgbouncer -- pytest ...
    python -m monoboard.testing.withdb --via stage4 -- pytest ...

Starts the servers, runs the command with ``DATABASE_URL``, ``DB_POOL`` and
``DATABASE_DIRECT_URL`` set (``--via stage4`` adds a streaming replica and
Redis: ``DATABASE_REPLICA_URLS`` and ``REDIS_URL``), and stops the servers whatever happens (the
command's failure, Ctrl-C, SIGTERM). Exits with the command's status. If this
process is SIGKILLed the command gets SIGTERM, and the next run with the same
``--dir`` stops the servers left running (found by their pid files).
``--dir`` keeps the data there between runs instead of a temporary dir.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from monoboard.lib.children import stop_with_parent
from monoboard.testing.servers import (
    pgbouncer_server,
    postgres_server,
    redis_server,
    replica_server,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--via", choices=("postgres", "pgbouncer", "stage4"), default="postgres")
    parser.add_argument(
        "--pool", choices=("psycopg", "none"), default="psycopg", help="DB_POOL for --via postgres"
    )
    parser.add_argument("--max-connections", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="keep server data here")
    parser.add_argument("--pg-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--bouncer-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--replica-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--redis-port", type=int, default=None, help="default: a free port")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command: list[str] = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")

    stop_requested: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    with contextlib.ExitStack() as stack:
        pg_dir = args.dir / "postgres" if args.dir else None
        pg = stack.enter_context(
            postgres_server(
                base_dir=pg_dir, port=args.pg_port, max_connections=args.max_connections
            )
        )
        env = dict(os.environ)
        env["DATABASE_DIRECT_URL"] = pg.url()
        if args.via in ("pgbouncer", "stage4"):
            bouncer_dir = args.dir / "pgbouncer" if args.dir else None
            bouncer = stack.enter_context(
                pgbouncer_server(pg, base_dir=bouncer_dir, port=args.bouncer_port)
            )
            env["DATABASE_URL"] = bouncer.url()
            env["DB_POOL"] = "pgbouncer"
            print(f"withdb: PgBouncer {bouncer.url()} -> PostgreSQL {pg.url()}", flush=True)
        if args.via == "stage4":
            replica = stack.enter_context(
                replica_server(
                    pg,
                    base_dir=args.dir / "replica" if args.dir else None,
                    port=args.replica_port,
                    max_connections=args.max_connections,
                )
            )
            redis = stack.enter_context(
                redis_server(
                    base_dir=args.dir / "redis" if args.dir else None, port=args.redis_port
                )
            )
            env["DATABASE_REPLICA_URLS"] = replica.url()
            env["REDIS_URL"] = redis.url()
            print(f"withdb: replica {replica.url()}, Redis {redis.url()}", flush=True)
        else:
            env["DATABASE_URL"] = pg.url()
            env["DB_POOL"] = args.pool
            print(f"withdb: PostgreSQL {pg.url()} (DB_POOL={args.pool})", flush=True)
        child = subprocess.Popen(  # noqa: S603  (the caller's command)
            command, env=env, preexec_fn=stop_with_parent
        )
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(stop_requested[0] if stop_requested else signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
            return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())

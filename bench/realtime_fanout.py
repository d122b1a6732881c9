"""Vote-to-screen latency of the real-time stream at stage 1 (db-poll, SQLite).

Usage: .venv/bin/python bench/realtime_fanout.py [--clients 200] [--votes 50]

Uses a fresh SQLite database in a temporary directory (never var/), starts one
granian ASGI events process on a free loopback port, opens N event streams to
one board, then toggles votes one at a time through the vote service (as the
web process would). For every vote and every stream it records the time from
the commit to the event's arrival, and prints percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def open_stream(port: int, received: dict[int, list[float]]) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /events/?board=bench HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()

    async def consume() -> None:
        while line := await reader.readline():
            text = line.decode().strip()
            if text.startswith("data: {") and "vote_count" in text:
                count = int(text.split('"vote_count":')[1].rstrip("}").split(",")[0])
                received.setdefault(count, []).append(time.perf_counter())
            elif text == "event: ready":
                received.setdefault(-1, []).append(time.perf_counter())

    asyncio.get_running_loop().create_task(consume())
    return writer


async def run(port: int, clients: int, votes: int) -> list[float]:
    from asgiref.sync import sync_to_async

    from monoboard.accounts.models import User
    from monoboard.boards import services
    from monoboard.boards.models import Post

    received: dict[int, list[float]] = {}
    writers = [await open_stream(port, received) for _ in range(clients)]
    deadline = time.monotonic() + 30
    while len(received.get(-1, [])) < clients and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    post = await Post.objects.select_related("board").aget(board__slug="bench")
    voters = [u async for u in User.objects.filter(email__startswith="voter")]
    committed: dict[int, float] = {}
    for i in range(votes):
        result = await sync_to_async(services.vote_toggle)(post=post, user=voters[i])
        committed[result.vote_count] = time.perf_counter()
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    for writer in writers:
        writer.close()
    return [
        (arrived - committed[count]) * 1000
        for count, times in received.items()
        if count in committed
        for arrived in times
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--votes", type=int, default=50)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="realtime-bench-")
    os.environ["MONOBOARD_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from monoboard.accounts.models import Role, User
    from monoboard.boards import services
    from monoboard.boards.models import Board
    from monoboard.lib.ports import free_port, wait_for_port

    call_command("migrate", verbosity=0)
    User.objects.create_user(email="admin@example.com", password="x" * 12, role=Role.ADMIN)
    author = User.objects.create_user(email="author@example.com", password="x" * 12)
    voters = [User(email=f"voter{i}@example.com") for i in range(args.votes)]
    User.objects.bulk_create(voters)
    board = Board.objects.create(name="Bench", slug="bench")
    services.post_create(board=board, author=author, title="Live counts")

    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--backlog", "4096", "--log-level", "warning",
         "monoboard.asgi:application"],
        env=dict(os.environ),
    )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        latencies = asyncio.run(run(port, args.clients, args.votes))
    finally:
        child.terminate()  # granian waits for open streams; do not wait long
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)
    expected = args.clients * args.votes
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    print(
        f"db-poll every 250 ms, SQLite, {args.clients} streams, {args.votes} votes: "
        f"{len(latencies)}/{expected} deliveries; commit-to-arrival ms "
        f"p50 {cuts[49]:.0f}, p95 {cuts[94]:.0f}, max {latencies[-1]:.0f}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

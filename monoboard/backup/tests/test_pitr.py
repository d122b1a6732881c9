"""Point-in-time recovery as docs/backups.md describes it, on a throwaway PostgreSQL.

WAL archiving (archive_command), a base backup (pg_basebackup), writes before
and after a noted time, then a new data directory from the base backup with
recovery.signal, restore_command and recovery_target_time: the first writes
are there, the later ones are not.

    .venv/bin/pytest -p no:cacheprovider -q monoboard/backup/tests/test_pitr.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monoboard.testing.servers import (
    _make_dir,
    _run,
    postgres_bin_dir,
    postgres_server,
    servers_available,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not servers_available(), reason="PostgreSQL not installed"),
]


def archiving(archive: Path) -> dict[str, str]:
    """The settings of docs/backups.md, step 1."""
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": f"test ! -f {archive}/%f && cp %p {archive}/%f",
        "full_page_writes": "on",
    }


def wait_archived(server: object, segment: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = server.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")  # type: ignore[attr-defined]
        if last >= segment:
            return
        time.sleep(0.1)
    raise AssertionError(f"WAL segment {segment} was not archived in {timeout}s")


@pytest.fixture
def work() -> Iterator[Path]:
    """A folder the postgres account can reach (pytest's own are private to us)."""
    path = Path(tempfile.mkdtemp(prefix="monoboard-pitr-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_recovery_to_a_noted_time(work: Path) -> None:
    tmp_path = work
    archive, base = tmp_path / "wal-archive", tmp_path / "base"
    _make_dir(archive)
    _make_dir(base)
    bin_dir = postgres_bin_dir()
    with postgres_server(base_dir=tmp_path / "primary", settings=archiving(archive)) as pg:
        pg.psql("CREATE TABLE ledger (id serial PRIMARY KEY, note text NOT NULL)")
        # Step 2: the base backup (WAL fetched alongside, checked afterwards).
        _run(
            [
                str(bin_dir / "pg_basebackup"),
                "-h",
                str(pg.data_dir),
                "-p",
                str(pg.port),
                "-U",
                "postgres",
                "-D",
                str(base / "pgdata"),
                "-X",
                "fetch",
                "--checkpoint=fast",
            ],
            what="pg_basebackup",
        )
        _run([str(bin_dir / "pg_verifybackup"), "-n", str(base / "pgdata")], what="pg_verifybackup")
        pg.psql("INSERT INTO ledger (note) SELECT 'before ' || g FROM generate_series(1, 50) g")
        time.sleep(0.2)
        noted = pg.psql("SELECT now()")  # the moment to go back to
        time.sleep(0.2)
        pg.psql("INSERT INTO ledger (note) SELECT 'after ' || g FROM generate_series(1, 50) g")
        pg.psql("DELETE FROM ledger WHERE note = 'before 1'")  # a mistake, after the moment
        segment = pg.psql("SELECT pg_walfile_name(pg_switch_wal())")
        wait_archived(pg, segment)
        assert pg.psql("SELECT count(*) FROM ledger") == "99"

    # Step 3: a new data directory from the base backup, told where to stop.
    restored = tmp_path / "restored"
    _make_dir(restored)
    _run(["cp", "-a", str(base / "pgdata"), str(restored / "pgdata")], what="copy")
    data = restored / "pgdata"
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"restore_command = 'cp {archive}/%f %p'\n"
            f"recovery_target_time = '{noted}'\n"
            "recovery_target_action = 'promote'\n"
        )
    (data / "recovery.signal").touch()
    shutil.chown(data / "recovery.signal", *_owner(data))
    with postgres_server(base_dir=restored) as pg:
        deadline = time.monotonic() + 60
        while pg.psql("SELECT pg_is_in_recovery()") != "f":
            assert time.monotonic() < deadline, pg.log_path.read_text()[-2000:]
            time.sleep(0.1)
        notes = pg.psql("SELECT string_agg(note, ',' ORDER BY id) FROM ledger").split(",")
        assert notes == [f"before {i}" for i in range(1, 51)]
        assert "recovery stopping before commit" in pg.log_path.read_text()
        # A promoted server takes writes again, on a new timeline.
        pg.psql("INSERT INTO ledger (note) VALUES ('after recovery')")
        assert pg.psql("SELECT count(*) FROM ledger") == "51"


def _owner(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_uid, stat.st_gid

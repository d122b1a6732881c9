"""What an import reads: one shape for every source tool.

Each source (a Fider database, Fider's CSV export, Canny's CSV export, the
generic CSV) yields the same records, in a stable order, so the importer in
services.py has one write path for all of them. A CSV is read and checked in
full before anything is written: a bad file fails with every problem listed
(line numbers included) and imports nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.utils.text import slugify

from monoboard.imports.models import SourceKind


class SourceError(ValueError):
    """The source cannot be imported; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("\n".join(shown) + more)


@dataclass
class SUser:
    id: str
    email: str  # lower-case; empty when the source has none
    name: str
    created_at: datetime | None = None


@dataclass
class SBoard:
    id: str
    name: str


@dataclass
class STag:
    id: str
    name: str
    color: str = ""


@dataclass
class SPost:
    id: str
    board_id: str
    title: str
    body: str
    status: str
    created_at: datetime
    author_id: str | None = None
    number: int | None = None
    tag_ids: list[str] = field(default_factory=list)
    hidden: bool = False
    original_id: str | None = None  # a duplicate of this source post
    claimed_votes: int | None = None  # a count the source states, when it lists no voters


@dataclass
class SVote:
    post_id: str
    user_id: str
    created_at: datetime


@dataclass
class SComment:
    id: str
    post_id: str
    body: str
    created_at: datetime
    author_id: str | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    official: bool = False


class Source(Protocol):
    kind: SourceKind
    label: str

    def identity(self) -> str: ...
    def counts(self) -> dict[str, int]: ...
    def statuses(self) -> dict[str, int]: ...
    def numbers(self) -> list[int | None]: ...
    def users(self) -> Iterator[SUser]: ...
    def boards(self) -> Iterator[SBoard]: ...
    def tags(self) -> Iterator[STag]: ...
    def posts(self) -> Iterator[SPost]: ...
    def votes(self) -> Iterator[SVote]: ...
    def comments(self) -> Iterator[SComment]: ...
    def close(self) -> None: ...


# --- Small parsers -----------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_date(text: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; UTC when none) or a few plain forms."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{text!r} is not a date (use ISO 8601, e.g. 2024-05-01T12:00:00Z)")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def clean_email(text: str) -> str:
    email = text.strip().lower()
    if email and not _EMAIL.match(email):
        raise ValueError(f"{text!r} is not an email address")
    return email


def placeholder_email(kind: str, source_id: str) -> str:
    """For a person the source knows without an address: never deliverable (.invalid)."""
    return f"{slugify(source_id)[:40] or 'user'}@{kind}.import.invalid"


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- CSV sources ---------------------------------------------------------------------


class MemorySource:
    """Records parsed in full from a file; iterated in file order."""

    kind: SourceKind
    label: str

    def __init__(self, label: str, data: bytes) -> None:
        self.label = label
        self._digest = hashlib.sha256(data).hexdigest()
        self._users: dict[str, SUser] = {}
        self._boards: dict[str, SBoard] = {}
        self._tags: dict[str, STag] = {}
        self._posts: list[SPost] = []
        self._votes: list[SVote] = []
        self._comments: list[SComment] = []

    def identity(self) -> str:
        return f"{self.kind}:{self._digest}"

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self._users),
            "boards": len(self._boards),
            "tags": len(self._tags),
            "posts": len(self._posts),
            "votes": len(self._votes),
            "comments": len(self._comments),
        }

    def statuses(self) -> dict[str, int]:
        return dict(Counter(p.status for p in self._posts))

    def numbers(self) -> list[int | None]:
        return [p.number for p in self._posts]

    def users(self) -> Iterator[SUser]:
        return iter(list(self._users.values()))

    def boards(self) -> Iterator[SBoard]:
        return iter(list(self._boards.values()))

    def tags(self) -> Iterator[STag]:
        return iter(list(self._tags.values()))

    def posts(self) -> Iterator[SPost]:
        return iter(self._posts)

    def votes(self) -> Iterator[SVote]:
        return iter(self._votes)

    def comments(self) -> Iterator[SComment]:
        return iter(self._comments)

    def close(self) -> None:
        pass

    # helpers for the parsers

    def _user(self, email: str, name: str) -> str | None:
        """The source id of the person with this address (or, lacking one, this name)."""
        if email:
            key = email
        elif name:
            key = placeholder_email(self.kind, name)
        else:
            return None
        if key not in self._users:
            self._users[key] = SUser(id=key, email=key, name=name[:80])
        elif name and not self._users[key].name:
            self._users[key].name = name[:80]
        return key

    def _board(self, name: str) -> str:
        key = slugify(name)[:80] or "imported"
        self._boards.setdefault(key, SBoard(id=key, name=name or "Imported"))
        return key

    def _tag_ids(self, names: list[str]) -> list[str]:
        ids = []
        for name in names:
            key = slugify(name)[:40]
            if not key:
                continue
            self._tags.setdefault(key, STag(id=key, name=name[:40]))
            if key not in ids:
                ids.append(key)
        return ids


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError([f"The file is not UTF-8 text (byte {exc.start})."]) from exc
    if "\x00" in text:
        raise SourceError(["The file is not a CSV file (it holds binary data)."])
    return text


def _read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = _decode(data)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise SourceError([f"The file is not valid CSV: {exc}."]) from exc
    if not header:
        raise SourceError(["The file is empty: it needs a header line and one row per post."])
    return header, rows


def _require(header: list[str], needed: list[str], what: str) -> None:
    missing = [name for name in needed if name not in header]
    if missing:
        raise SourceError(
            [
                f"This is not {what}: the header lacks {', '.join(missing)} "
                f"(it has {', '.join(header)})."
            ]
        )


class _Line:
    """Collects the problems of one row, with its line number."""

    def __init__(self, problems: list[str], line: int) -> None:
        self.problems, self.line = problems, line

    def date(self, value: str, column: str, *, required: bool = True) -> datetime | None:
        if not value.strip():
            if required:
                self.problems.append(f"Line {self.line}: {column} is empty.")
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.problems.append(f"Line {self.line}: {column}: {exc}.")
            return None

    def email(self, value: str, column: str) -> str:
        try:
            return clean_email(value)
        except ValueError as exc:
            self.problems.append(f"Line {self.line}: {column}: {exc}.")
            return ""

    def integer(self, value: str, column: str) -> int | None:
        if not value.strip():
            return None
        try:
            return int(value.strip())
        except ValueError:
            self.problems.append(f"Line {self.line}: {column}: {value!r} is not a whole number.")
            return None

    def text(self, value: str, column: str) -> str:
        value = " ".join(value.split())
        if not value:
            self.problems.append(f"Line {self.line}: {column} is empty.")
        return value


FIDER_CSV_HEADER = [
    "number",
    "title",
    "description",
    "created_at",
    "created_by",
    "votes_count",
    "comments_count",
    "status",
    "responded_by",
    "responded_at",
    "response",
    "original_number",
    "original_title",
    "tags",
]


class FiderCSV(MemorySource):
    """Fider's "Export posts to CSV": posts only, authors by name, counts without voters."""

    kind = SourceKind.FIDER_CSV

    def __init__(self, label: str, data: bytes, *, board: str = "Feedback") -> None:
        super().__init__(label, data)
        header, rows = _read_csv(data)
        _require(header, ["number", "title", "status", "created_at"], "a Fider CSV export")
        problems: list[str] = []
        board_id = self._board(board)
        seen: set[int] = set()
        for line_no, row in enumerate(rows, start=2):
            line = _Line(problems, line_no)
            number = line.integer(row["number"], "number")
            if number is None:
                problems.append(f"Line {line_no}: number is empty.")
                continue
            if number in seen:
                problems.append(f"Line {line_no}: post number {number} appears twice.")
            seen.add(number)
            created = line.date(row["created_at"], "created_at")
            title = line.text(row["title"], "title")
            status = row["status"].strip().lower() or "open"
            original = line.integer(row.get("original_number", ""), "original_number")
            post = SPost(
                id=str(number),
                number=number,
                board_id=board_id,
                title=title,
                body=row.get("description", ""),
                status=status,
                created_at=created or datetime.now(UTC),
                author_id=self._user("", row.get("created_by", "").strip()),
                tag_ids=self._tag_ids(split_list(row.get("tags", ""))),
                hidden=status == "deleted",
                original_id=str(original) if original is not None else None,
                claimed_votes=line.integer(row.get("votes_count", ""), "votes_count"),
            )
            self._posts.append(post)
            response = row.get("response", "").strip()
            if response:
                when = line.date(row.get("responded_at", ""), "responded_at", required=False)
                self._comments.append(
                    SComment(
                        id=f"response:{number}",
                        post_id=post.id,
                        body=response,
                        created_at=when or post.created_at,
                        author_id=self._user("", row.get("responded_by", "").strip()),
                        official=True,
                    )
                )
        known = {p.id for p in self._posts}
        for post in self._posts:
            if post.original_id and post.original_id not in known:
                post.original_id = None  # the original was not exported; stays a plain post
        if problems:
            raise SourceError(problems)


#: Canny's post export, by the column names seen in its files; matched case-insensitively.
CANNY_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("post id", "id"),
    "board": ("board", "board name"),
    "title": ("title",),
    "details": ("details", "description"),
    "status": ("status",),
    "category": ("category",),
    "tags": ("tags",),
    "author_name": ("author name", "author"),
    "author_email": ("author email", "email"),
    "created": ("created at", "created date", "created", "date"),
    "votes": ("votes", "vote count", "score"),
    "voters": ("voter emails", "voters"),
}


class CannyCSV(MemorySource):
    """Canny's posts CSV: one row per post; voters when the file lists their emails."""

    kind = SourceKind.CANNY_CSV

    def __init__(self, label: str, data: bytes, *, board: str = "Feedback") -> None:
        super().__init__(label, data)
        header, rows = _read_csv(data)
        lower = {h.lower(): h for h in header}
        col: dict[str, str] = {}
        for key, names in CANNY_COLUMNS.items():
            for name in names:
                if name in lower:
                    col[key] = lower[name]
                    break
        missing = [CANNY_COLUMNS[k][0].title() for k in ("title", "created") if k not in col]
        if missing:
            raise SourceError(
                [
                    f"This is not a Canny CSV export: the header lacks {', '.join(missing)} "
                    f"(it has {', '.join(header)})."
                ]
            )
        problems: list[str] = []

        def get(row: dict[str, str], key: str) -> str:
            return row.get(col[key], "") if key in col else ""

        for line_no, row in enumerate(rows, start=2):
            line = _Line(problems, line_no)
            source_id = get(row, "id").strip() or f"line-{line_no}"
            created = line.date(get(row, "created"), col["created"])
            email = line.email(get(row, "author_email"), "Author Email")
            tag_names = split_list(get(row, "tags")) + split_list(get(row, "category"))
            post = SPost(
                id=source_id,
                board_id=self._board(" ".join(get(row, "board").split()) or board),
                title=line.text(get(row, "title"), col["title"]),
                body=get(row, "details"),
                status=" ".join(get(row, "status").lower().split()) or "open",
                created_at=created or datetime.now(UTC),
                author_id=self._user(email, get(row, "author_name").strip()),
                tag_ids=self._tag_ids(tag_names),
                claimed_votes=line.integer(get(row, "votes"), "Votes"),
            )
            self._posts.append(post)
            for voter in split_list(get(row, "voters")):
                voter_email = line.email(voter, "Voter Emails")
                user = self._user(voter_email, "") if voter_email else None
                if user:
                    self._votes.append(
                        SVote(post_id=post.id, user_id=user, created_at=created or post.created_at)
                    )
        if problems:
            raise SourceError(problems)


#: The generic CSV's columns (docs/import.md): one row per post, vote or comment.
GENERIC_COLUMNS = [
    "type",
    "id",
    "post_id",
    "board",
    "title",
    "body",
    "status",
    "tags",
    "author_email",
    "author_name",
    "created_at",
]


class GenericCSV(MemorySource):
    kind = SourceKind.CSV

    def __init__(self, label: str, data: bytes, *, board: str = "Feedback") -> None:
        super().__init__(label, data)
        header, rows = _read_csv(data)
        _require(header, ["type", "created_at"], "a generic import CSV (docs/import.md)")
        problems: list[str] = []
        post_ids: set[str] = set()
        votes: set[tuple[str, str]] = set()
        comment_ids: set[str] = set()
        for line_no, row in enumerate(rows, start=2):
            line = _Line(problems, line_no)
            kind = row.get("type", "").strip().lower()
            created = line.date(row.get("created_at", ""), "created_at")
            email = line.email(row.get("author_email", ""), "author_email")
            name = " ".join(row.get("author_name", "").split())
            if kind == "post":
                source_id = row.get("id", "").strip()
                if not source_id:
                    problems.append(f"Line {line_no}: a post needs an id.")
                elif source_id in post_ids:
                    problems.append(f"Line {line_no}: post id {source_id} appears twice.")
                post_ids.add(source_id)
                number = line.integer(row.get("number", ""), "number") if "number" in row else None
                self._posts.append(
                    SPost(
                        id=source_id,
                        number=number,
                        board_id=self._board(" ".join(row.get("board", "").split()) or board),
                        title=line.text(row.get("title", ""), "title"),
                        body=row.get("body", ""),
                        status=" ".join(row.get("status", "").lower().split()) or "open",
                        created_at=created or datetime.now(UTC),
                        author_id=self._user(email, name),
                        tag_ids=self._tag_ids(split_list(row.get("tags", ""))),
                    )
                )
            elif kind in ("vote", "comment"):
                post_id = row.get("post_id", "").strip()
                if post_id not in post_ids:
                    problems.append(
                        f"Line {line_no}: post_id {post_id!r} is not a post on an earlier line."
                    )
                if kind == "vote":
                    if not email:
                        problems.append(f"Line {line_no}: a vote needs the voter's author_email.")
                        continue
                    user = self._user(email, name)
                    if user is None or (post_id, user) in votes:
                        continue  # one vote per person and post, as on the board
                    votes.add((post_id, user))
                    self._votes.append(
                        SVote(
                            post_id=post_id, user_id=user, created_at=created or datetime.now(UTC)
                        )
                    )
                else:
                    source_id = row.get("id", "").strip() or f"line-{line_no}"
                    if source_id in comment_ids:
                        problems.append(f"Line {line_no}: comment id {source_id} appears twice.")
                    comment_ids.add(source_id)
                    body = row.get("body", "").strip()
                    if not body:
                        problems.append(f"Line {line_no}: a comment needs a body.")
                    self._comments.append(
                        SComment(
                            id=source_id,
                            post_id=post_id,
                            body=body,
                            created_at=created or datetime.now(UTC),
                            author_id=self._user(email, name),
                        )
                    )
            else:
                problems.append(
                    f"Line {line_no}: type must be post, vote or comment, not {kind!r}."
                )
        if problems:
            raise SourceError(problems)


CSV_KINDS: dict[str, Callable[..., MemorySource]] = {
    SourceKind.FIDER_CSV: FiderCSV,
    SourceKind.CANNY_CSV: CannyCSV,
    SourceKind.CSV: GenericCSV,
}


def detect_csv_kind(data: bytes) -> SourceKind:
    """Which export a CSV file is, by its header line."""
    first = _decode(data).splitlines()[:1]
    header = {h.strip().lower() for h in next(csv.reader(first), [])} if first else set()
    if {"number", "votes_count", "status"} <= header:
        return SourceKind.FIDER_CSV
    if "type" in header and "created_at" in header:
        return SourceKind.CSV
    if "title" in header and header & {"details", "board", "author email"}:
        return SourceKind.CANNY_CSV
    raise SourceError(
        [
            "This file is not a Fider or Canny CSV export, nor a generic import CSV "
            "(docs/import.md lists the columns)."
        ]
    )


def open_csv(kind: str, label: str, data: bytes, *, board: str = "Feedback") -> MemorySource:
    if kind == "auto":
        kind = detect_csv_kind(data)
    return CSV_KINDS[kind](label, data, board=board)


# --- Fider's database ----------------------------------------------------------------

#: Fider's post status codes (app/models/enum/post_status.go).
FIDER_STATUSES = {
    0: "open",
    1: "started",
    2: "completed",
    3: "declined",
    4: "planned",
    5: "duplicate",
    6: "deleted",
}


class FiderDatabase:
    """A Fider site read straight from its PostgreSQL database (read-only).

    Reads one tenant (``--tenant`` subdomain, or the only one there is) from
    the tables ``tenants``, ``users``, ``posts``, ``post_votes``, ``comments``,
    ``tags`` and ``post_tags``. Rows stream through server-side cursors in id
    order, so a big site never sits in memory.
    """

    kind = SourceKind.FIDER_DB

    def __init__(self, url: str, *, tenant: str = "", board: str = "") -> None:
        import psycopg

        try:
            self._conn = psycopg.connect(url, autocommit=False, connect_timeout=10)
        except psycopg.Error as exc:
            raise SourceError([f"Cannot reach the Fider database: {exc}".strip()]) from exc
        self._conn.read_only = True
        try:
            rows = self._all("SELECT id, subdomain, name FROM tenants ORDER BY id")
        except psycopg.Error as exc:
            self.close()
            raise SourceError([f"This is not a Fider database (no tenants table): {exc}"]) from exc
        if tenant:
            rows = [r for r in rows if r[1] == tenant]
        if len(rows) != 1:
            names = ", ".join(str(r[0]) for r in self._all("SELECT subdomain FROM tenants"))
            self.close()
            raise SourceError(
                [
                    f"Choose the tenant with --tenant (found: {names or 'none'})."
                    if not tenant
                    else f"No tenant {tenant!r} (found: {names or 'none'})."
                ]
            )
        self.tenant_id, subdomain, name = rows[0]
        self.board_name = board or name or subdomain
        info = self._conn.info
        self.label = f"{info.host}:{info.port}/{info.dbname} tenant {subdomain}"

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cur:
            cur.execute(sql.encode(), params)
            return cur.fetchall()

    def _stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        with self._conn.cursor(name=f"import_{abs(hash(sql))}") as cur:
            cur.itersize = 5_000
            cur.execute(sql.encode(), (self.tenant_id,))
            yield from cur

    def identity(self) -> str:
        return f"{self.kind}:{self.label}"

    def counts(self) -> dict[str, int]:
        sql = {
            "users": "SELECT count(*) FROM users WHERE tenant_id = %s",
            "tags": "SELECT count(*) FROM tags WHERE tenant_id = %s",
            "posts": "SELECT count(*) FROM posts WHERE tenant_id = %s",
            "votes": "SELECT count(*) FROM post_votes WHERE tenant_id = %s",
            "comments": "SELECT count(*) + (SELECT count(*) FROM posts WHERE tenant_id = %s"
            " AND response IS NOT NULL AND response <> '') FROM comments WHERE tenant_id = %s",
        }
        out = {"boards": 1}
        for table, query in sql.items():
            params = (self.tenant_id,) * query.count("%s")
            out[table] = int(self._all(query, params)[0][0])
        return out

    def statuses(self) -> dict[str, int]:
        rows = self._all(
            "SELECT status, count(*) FROM posts WHERE tenant_id = %s GROUP BY status",
            (self.tenant_id,),
        )
        return {FIDER_STATUSES.get(code, f"status-{code}"): n for code, n in rows}

    def numbers(self) -> list[int | None]:
        rows = self._all("SELECT number FROM posts WHERE tenant_id = %s", (self.tenant_id,))
        return [int(r[0]) for r in rows]

    def users(self) -> Iterator[SUser]:
        for uid, name, email, created in self._stream(
            "SELECT id, name, email, created_at FROM users WHERE tenant_id = %s ORDER BY id"
        ):
            try:
                address = clean_email(email or "")
            except ValueError:
                address = ""
            yield SUser(
                id=str(uid),
                email=address or placeholder_email(self.kind, str(uid)),
                name=(name or "")[:80],
                created_at=created,
            )

    def boards(self) -> Iterator[SBoard]:
        yield SBoard(id="fider", name=self.board_name)

    def tags(self) -> Iterator[STag]:
        for tid, name, color in self._stream(
            "SELECT id, name, color FROM tags WHERE tenant_id = %s ORDER BY id"
        ):
            yield STag(id=str(tid), name=name, color=f"#{color}" if color else "")

    def posts(self) -> Iterator[SPost]:
        tags: dict[int, list[str]] = {}
        for post_id, tag_id in self._all(
            "SELECT post_id, tag_id FROM post_tags WHERE tenant_id = %s ORDER BY post_id, tag_id",
            (self.tenant_id,),
        ):
            tags.setdefault(post_id, []).append(str(tag_id))
        for pid, number, title, body, created, uid, status, original in self._stream(
            "SELECT id, number, title, description, created_at, user_id, status, original_id"
            " FROM posts WHERE tenant_id = %s ORDER BY id"
        ):
            name = FIDER_STATUSES.get(status, f"status-{status}")
            yield SPost(
                id=str(pid),
                number=number,
                board_id="fider",
                title=title,
                body=body or "",
                status=name,
                created_at=created,
                author_id=str(uid) if uid is not None else None,
                tag_ids=tags.get(pid, []),
                hidden=name == "deleted",
                original_id=str(original) if original is not None else None,
            )

    def votes(self) -> Iterator[SVote]:
        for pid, uid, created in self._stream(
            "SELECT post_id, user_id, created_at FROM post_votes WHERE tenant_id = %s"
            " ORDER BY post_id, user_id"
        ):
            yield SVote(post_id=str(pid), user_id=str(uid), created_at=created)

    def comments(self) -> Iterator[SComment]:
        for cid, pid, body, uid, created, edited, deleted in self._stream(
            "SELECT id, post_id, content, user_id, created_at, edited_at, deleted_at"
            " FROM comments WHERE tenant_id = %s ORDER BY id"
        ):
            yield SComment(
                id=str(cid),
                post_id=str(pid),
                body=body or "",
                created_at=created,
                author_id=str(uid) if uid is not None else None,
                edited_at=edited,
                deleted_at=deleted,
            )
        # The team's response on a post (shown above its comments in Fider): an
        # official comment by whoever responded, at the time they did.
        for pid, text, uid, when, created in self._stream(
            "SELECT id, response, response_user_id, response_date, created_at FROM posts"
            " WHERE tenant_id = %s AND response IS NOT NULL AND response <> '' ORDER BY id"
        ):
            yield SComment(
                id=f"response:{pid}",
                post_id=str(pid),
                body=text,
                created_at=when or created,
                author_id=str(uid) if uid is not None else None,
                official=True,
            )

    def close(self) -> None:
        self._conn.close()

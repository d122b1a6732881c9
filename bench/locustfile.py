"""The realistic traffic mix for `bench/run.py` (Locust, headless).

Anonymous visitors browse boards and posts; signed-in members browse, vote,
comment, post ideas and look for similar posts while typing; everyone
searches. The orchestrator passes the board slugs, post paths and demo
accounts through environment variables.

With ``BENCH_MEASURE_S`` set, the statistics cover the steady state only:
once every user has started (members have signed in, each sign-in an
argon2 hash, so 50 of them at once take seconds), they are reset after
``BENCH_SETTLE_S`` more seconds and the run stops ``BENCH_MEASURE_S`` later.
The reset creates ``BENCH_STEADY_FILE`` (when set), so that the orchestrator
can read the servers' CPU time at the same moment.
Locust's own ``-t`` stays as the upper bound when the steady state never
comes (a sign-in that fails stops its user).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
from typing import Any

import gevent  # type: ignore[import-untyped]  # locust's own event loop
from locust import FastHttpUser, between, task
from locust.env import Environment

BOARDS: list[str] = json.loads(os.environ.get("BENCH_BOARDS", "[]"))
POSTS: list[str] = json.loads(os.environ.get("BENCH_POSTS", "[]"))
ACCOUNTS: list[str] = json.loads(os.environ.get("BENCH_ACCOUNTS", "[]"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "demo password")
WORDS = ["export", "dark mode", "slack", "api", "billing", "mobile", "search", "calendar", "sso"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MEASURE_S = float(os.environ.get("BENCH_MEASURE_S", "0"))
SETTLE_S = float(os.environ.get("BENCH_SETTLE_S", "3"))
STEADY_FILE = os.environ.get("BENCH_STEADY_FILE", "")


class SteadyState:
    """Counts started users; when all have, schedules the reset and the stop."""

    started = 0

    @classmethod
    def user_started(cls, environment: Environment) -> None:
        runner = environment.runner
        if MEASURE_S <= 0 or runner is None:
            return
        cls.started += 1
        if cls.started == runner.target_user_count:
            logging.warning("all %d users started; measuring after %gs", cls.started, SETTLE_S)
            gevent.spawn_later(SETTLE_S, cls.measure_from_now, runner)
            gevent.spawn_later(SETTLE_S + MEASURE_S, runner.quit)

    @staticmethod
    def measure_from_now(runner: Any) -> None:
        runner.stats.reset_all()
        if STEADY_FILE:
            with open(STEADY_FILE, "w") as fh:
                fh.write("steady\n")


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Visitor(FastHttpUser):
    """Not signed in: board pages, post pages, roadmap, search."""

    weight = 3
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        SteadyState.user_started(self.environment)

    @task(6)
    def board_page(self) -> None:
        self.client.get(f"/b/{random.choice(BOARDS)}/", name="board page (anonymous)")

    @task(4)
    def post_page(self) -> None:
        self.client.get(random.choice(POSTS), name="post page (anonymous)")

    @task(1)
    def roadmap(self) -> None:
        self.client.get("/roadmap/", name="roadmap")

    @task(1)
    def search(self) -> None:
        self.client.get(f"/search/?q={random.choice(WORDS)}", name="search")


class Member(FastHttpUser):
    """Signed in: browses, votes, comments, posts, and sees similar posts."""

    weight = 1
    wait_time = between(0.5, 2.0)
    csrf = ""

    def on_start(self) -> None:
        page = self.client.get("/accounts/signin/", name="sign in (form)")
        token = _csrf(page.text or "")
        response = self.client.post(
            "/accounts/signin/",
            data={
                "email": random.choice(ACCOUNTS),
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/accounts/signin/"},
            name="sign in",
        )
        self.csrf = _cookie(self, "csrftoken")
        if response.status_code >= 400 or not self.csrf:
            raise RuntimeError(f"sign-in failed ({response.status_code}); check BENCH_ACCOUNTS")
        SteadyState.user_started(self.environment)

    def _post(self, path: str, data: dict[str, Any], name: str) -> None:
        self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": self.csrf},
            headers={
                "X-CSRFToken": self.csrf,
                "Referer": f"{self.host}{path}",
                "Accept": "application/json",
            },
            name=name,
        )

    @task(5)
    def board_page(self) -> None:
        self.client.get(f"/b/{random.choice(BOARDS)}/", name="board page (signed in)")

    @task(3)
    def post_page(self) -> None:
        self.client.get(random.choice(POSTS), name="post page (signed in)")

    @task(4)
    def vote(self) -> None:
        post = random.choice(POSTS)
        board, post_id = _board_and_id(post)
        self._post(f"/b/{board}/p/{post_id}/vote/", {}, "vote toggle")

    @task(1)
    def comment(self) -> None:
        board, post_id = _board_and_id(random.choice(POSTS))
        self._post(
            f"/b/{board}/p/{post_id}/comments/",
            {"body": "Same here, this would help us a lot."},
            "comment",
        )

    @task(1)
    def new_post(self) -> None:
        board = random.choice(BOARDS)
        title = f"Benchmark idea {random.randint(1, 10**9)} about {random.choice(WORDS)}"
        self._post(
            f"/b/{board}/", {"title": title, "body": "Posted by the benchmark."}, "create post"
        )

    @task(3)
    def similar(self) -> None:
        board = random.choice(BOARDS)
        self.client.get(
            f"/search/similar/?board={board}&title={random.choice(WORDS)}+sup", name="similar posts"
        )


def _board_and_id(post_path: str) -> tuple[str, str]:
    """'/b/<board>/p/<id>-<slug>/' -> (board, id)."""
    parts = post_path.strip("/").split("/")
    return parts[1], parts[3].split("-", 1)[0]


def _cookie(user: FastHttpUser, name: str) -> str:
    for cookie in user.client.cookiejar:
        if cookie.name == name:
            return str(cookie.value)
    return ""

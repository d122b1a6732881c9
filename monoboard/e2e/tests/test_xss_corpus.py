"""A corpus of script-injection payloads, written into every field people can
fill in, then shown in headless Chromium on every page that displays them.

Each payload calls ``__xss(<its number>)`` if it ever runs. Four nets catch a
payload that gets through:

* ``__xss`` itself (defined before any page script, it reports to the test
  with the page's address);
* a ``dialog`` handler, in case something opens ``alert``/``confirm``;
* the Content-Security-Policy: Chromium's console messages and the
  ``securitypolicyviolation`` events, since inline script is refused;
* a scan of the rendered DOM for markup that could run script once clicked
  or focused (``on*`` attributes, ``javascript:``/``data:`` URLs, frames,
  ``srcdoc``, stray ``<script>``/``<base>``/``<object>``).

The pages are seen by a visitor, a member and an admin with the policy
enforced, and once more by an admin with the policy bypassed, so a payload
that the templates or the Markdown sanitiser let through is caught by number
even where the policy would have stopped it. Many payloads share each page,
so the whole module stays at a few hundred page loads.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts import services as accounts
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Comment, Post, Status, Tag
from monoboard.core.consumers import drain
from monoboard.jobs.worker import Worker, WorkerConfig
from monoboard.notifications.models import OutboxEmail
from monoboard.realtime.tests.sse_client import events_server
from monoboard.webhooks import services as webhooks

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000  # a bound on every wait, never an expectation
SETTLE_MS = 60  # after each load: late onload/onfocus handlers get their turn

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
    ),
]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


_SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="__xss(15)"/>'
_HTML = "<script>parent.__xss(16)</script>"

#: Payload number N calls ``__xss(N)``: the position in this tuple.
PAYLOADS: tuple[str, ...] = (
    "<script>__xss(0)</script>",
    "<img src=x onerror=__xss(1)>",
    "<svg onload=__xss(2)>",
    "<svg><script>__xss(3)</script></svg>",
    '"><img src=x onerror=__xss(4)>',
    "'><img src=x onerror=__xss(5)>",
    '" autofocus onfocus="__xss(6)" x="',
    "' autofocus onfocus='__xss(7)' x='",
    "[click me](javascript:__xss(8))",
    "[click me](JaVaScRiPt:__xss(9))",
    "[click me](&#106;avascript:__xss(10))",
    "[click me](<javascript:__xss(11)>)",
    "![picture](javascript:__xss(12))",
    "[click me](data:text/html,<script>__xss(13)</script>)",
    "[click me](java&#x09;script:__xss(14))",
    f"![picture](data:image/svg+xml;base64,{_b64(_SVG)}) __xss(15)",
    f"[click me](data:text/html;base64,{_b64(_HTML)}) __xss(16)",
    "<javascript:__xss(17)>",
    '<http://x.test/" onmouseover="__xss(18)>',
    '<a href="javascript:__xss(19)">raw link</a>',
    '[titled](http://x.test "t\\" onmouseover=\\"__xss(20)")',
    '![a" onerror="__xss(21)](/x.png)',
    "&lt;img src=x onerror=__xss(22)&gt;",
    "&#60;script&#62;__xss(23)&#60;/script&#62;",
    "\\u003cimg src=x onerror=__xss(24)\\u003e",
    "\uff1cimg src=x onerror=__xss(25)\uff1e",
    '{{ 7|add:"7" }} {% now "Y" %} <b>__xss(26)</b>',
    "{% autoescape off %}<img src=x onerror=__xss(27)>{% endautoescape %}",
    "</textarea><img src=x onerror=__xss(28)>",
    "</title><script>__xss(29)</script>",
    "<style>*{background:url(javascript:__xss(30))}</style>",
    '<div style="width:expression(__xss(31))">x</div>',
    '<iframe srcdoc="<script>parent.__xss(32)</script>"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss(33)>",
    '<svg><a xlink:href="javascript:__xss(34)"><text>x</text></a></svg>',
    '<math href="javascript:__xss(35)">x</math>',
    "**<img src=x onerror=__xss(36)>**",
    "[<img src=x onerror=__xss(37)>](http://x.test)",
    "`<script>__xss(38)</script>`",
    "```html\n</code></pre><script>__xss(39)</script>\n```",
    "<details open ontoggle=__xss(40)>x</details>",
    "<body onload=__xss(41)>",
    "<input autofocus onfocus=__xss(42)>",
    '<object data="javascript:__xss(43)"></object>',
    '<embed src="javascript:__xss(44)">',
    '<base href="javascript:__xss(45)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:__xss(46)">',
    '<noscript><p title="</noscript><img src=x onerror=__xss(47)>">',
    '<a href="&#x6A;avascript:__xss(48)">entity link</a>',
    "'-__xss(49)-'",
    '";__xss(50);//',
    "</script><script>__xss(51)</script>",
    '<!--<img src="--><img src=x onerror=__xss(52)>',
    "<video><source onerror=__xss(53)></video>",
    "<img src=x:x onerror=__xss(54)//",
    "[click me](vbscript:__xss(55))",
    '<table><td background="javascript:__xss(56)">x</td></table>',
    "[ref link][r57]\n\n[r57]: javascript:__xss(57)",
    "%3Cscript%3E__xss(58)%3C/script%3E",
    "<form><button formaction=javascript:__xss(59)>go</button></form>",
    "<svg><animate onbegin=__xss(60) attributeName=x dur=1s>",
    "<img src=`x` onerror=__xss(61)>",
    "\u2028\u2029<img src=x onerror=__xss(62)>",
    "> quote <img src=x onerror=__xss(63)>\n> - [x](javascript:__xss(63))",
)

#: Runs in every page before its own scripts: payloads report through it.
INIT_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
window.__xss = function (id) { window.__xssReport(id, String(location.href)); };
"""

#: Markup that could run script after a click, a focus or a load.
AUDIT_SCRIPT = """
() => {
  const found = [];
  const urlAttrs = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
                            "background", "poster", "codebase", "cite", "dynsrc", "lowsrc"]);
  const show = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (["iframe", "frame", "object", "embed", "base", "applet", "portal"].includes(tag)) {
      found.push("element: " + show(el));
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) found.push("element: " + show(el));
    if (tag === "script") {
      const own = el.src && new URL(el.src, location.href).origin === location.origin;
      const data = /^application[/](ld[+])?json$/i.test(el.type || "");
      if (!own && !el.nonce && !data) found.push("script: " + show(el));
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push("handler: " + show(el));
      else if (name === "srcdoc") found.push("srcdoc: " + show(el));
      else if (urlAttrs.has(name) && /^(javascript|vbscript|data):/.test(value)) {
        found.push("url: " + show(el));
      } else if (name === "style" && /expression\\(|javascript:/.test(value)) {
        found.push("style: " + show(el));
      }
    }
  }
  return {found: found, violations: window.__violations || []};
}
"""


@dataclass
class Findings:
    """Everything the nets caught, as readable lines: empty means safe."""

    lines: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)


@dataclass
class Persona:
    """One browser context (one person) with every net attached."""

    name: str
    context: BrowserContext
    page: Page
    findings: Findings
    base_url: str

    @classmethod
    def open(
        cls,
        browser: Browser,
        base_url: str,
        findings: Findings,
        name: str,
        user: User | None = None,
        bypass_csp: bool = False,
    ) -> Persona:
        context = browser.new_context(base_url=base_url, bypass_csp=bypass_csp)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])

        def report(source: dict[str, Any], ident: int, href: str) -> None:
            findings.add(f"payload {ident} ran for {name} on {href}: {PAYLOADS[int(ident)]!r}")

        context.expose_binding("__xssReport", report)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        persona = cls(name, context, page, findings, base_url)
        page.on("dialog", persona._on_dialog)
        page.on("console", persona._on_console)
        return persona

    def _on_dialog(self, dialog: Dialog) -> None:
        self.findings.add(f"dialog for {self.name} on {self.page.url}: {dialog.message!r}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "__xss" in message.text:
            self.findings.add(f"console for {self.name} on {self.page.url}: {message.text}")

    def audit(self, where: str) -> None:
        self.page.wait_for_timeout(SETTLE_MS)
        result = self.page.evaluate(AUDIT_SCRIPT)
        for line in result["found"]:
            self.findings.add(f"dangerous markup for {self.name} on {where}: {line}")
        for line in result["violations"]:
            self.findings.add(f"CSP violation for {self.name} on {where}: {line}")
        self.findings.pages += 1

    def visit(self, path: str) -> None:
        response = self.page.goto(path, wait_until="load")
        status = response.status if response else 0
        if status != 200:
            self.findings.add(f"{self.name} got {status} for {path}")
        self.audit(path)

    def visit_pages(self, first: str, next_selector: str, limit: int = 6) -> int:
        """``first`` and the pages after it, following the "next" link."""
        path: str | None = first
        seen = 0
        while path and seen < limit:
            self.visit(path)
            seen += 1
            link = self.page.locator(next_selector)
            href = link.first.get_attribute("href") if link.count() else None
            path = self.page.url.split("?")[0] + href if href and href.startswith("?") else href
        return seen

    def type_title(self, text: str) -> int:
        """Type into the new-post title field; how many similar posts it offered."""
        title = self.page.locator("[data-testid=new-post-form] input[name=title]")
        title.fill("")
        title.fill(text)
        items = self.page.locator("[data-testid=similar-posts] .similar-item")
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not items.count() and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
        self.audit(f"similar titles for {text!r}")
        return items.count()


# --- The data ------------------------------------------------------------------


@dataclass
class Site:
    """Every field holding payloads, and where to find them."""

    admin: User
    carrier: Post  # every payload in its body, comments, status notes and tags
    posts: list[Post]  # one payload each in title, body, comment, status and note
    merged: Post
    boards: list[Board]
    private_board: Board
    statuses: list[Status]
    tags: list[Tag]
    comments: list[Comment]
    endpoint_ids: list[int]
    people: list[User]


def _short(i: int, payload: str, limit: int) -> str:
    """The payload, numbered so that slugs stay unique, cut to fit a column."""
    return f"{i} {payload}"[:limit]


def write_everything(admin: User, member: User, other_member: User, public_board: Board) -> Site:
    """Put each payload into each field, through the services people use."""
    accounts.user_update_profile(actor=admin, user=admin, name=PAYLOADS[4], email=admin.email)
    accounts.user_update_profile(actor=admin, user=member, name=PAYLOADS[6], email=member.email)
    accounts.user_update_profile(
        actor=admin, user=other_member, name=PAYLOADS[28], email=other_member.email
    )
    boards.site_settings_update(
        actor=admin, site_name=PAYLOADS[29], tagline=" ".join(PAYLOADS[:5])[:200]
    )
    boards.board_update(
        actor=admin,
        board=public_board,
        name=PAYLOADS[0],
        description=PAYLOADS[1],
        is_private=False,
    )
    private_board = boards.board_create(
        actor=admin, name=PAYLOADS[5], slug="members", description=PAYLOADS[7], is_private=True
    )
    board_list = [
        boards.board_create(actor=admin, name=p[:80], slug=f"b{i}", description=p)
        for i, p in enumerate(PAYLOADS)
    ]
    statuses = [
        boards.status_save(
            actor=admin, fields=boards.StatusFields(name=_short(i, p, 40), on_roadmap=True)
        )
        for i, p in enumerate(PAYLOADS)
    ]
    tags = [boards.tag_save(actor=admin, name=_short(i, p, 40)) for i, p in enumerate(PAYLOADS)]
    people = [make_user(f"payload{i}@example.com", name=p[:80]) for i, p in enumerate(PAYLOADS)]
    endpoint_ids = []
    for i, p in enumerate(PAYLOADS):
        url = f"https://hooks.example.com/{i}?q={p}".replace("\n", " ")[:500]
        new = webhooks.endpoint_create(actor=admin, url=url, events=["vote.created"], description=p)
        webhooks.endpoint_set_active(actor=admin, endpoint=new.endpoint, active=False)
        endpoint_ids.append(new.endpoint.pk)

    carrier = boards.post_create(
        board=public_board, author=member, title=PAYLOADS[4], body="\n\n".join(PAYLOADS)
    )
    boards.post_update(
        post=carrier,
        actor=admin,
        title=carrier.title,
        body=carrier.body,
        tag_ids=[t.pk for t in tags],
    )
    comments = [boards.comment_create(post=carrier, author=other_member, body=p) for p in PAYLOADS]
    for status, p in zip(statuses, PAYLOADS, strict=True):
        boards.post_set_status(post=carrier, actor=admin, status=status, note=p)

    posts = []
    for i, p in enumerate(PAYLOADS):
        post = boards.post_create(
            board=public_board, author=people[i], title=f"{p[:150]} xss{i}", body=p
        )
        boards.post_update(
            post=post, actor=admin, title=post.title, body=post.body, tag_ids=[tags[i].pk]
        )
        boards.comment_create(post=post, author=people[i], body=p, official=False)
        boards.post_set_status(post=post, actor=admin, status=statuses[i], note=p)
        posts.append(post)
    boards.post_create(
        board=private_board, author=member, title=PAYLOADS[33][:150], body=PAYLOADS[34]
    )
    merged = boards.post_create(
        board=public_board, author=other_member, title=PAYLOADS[51], body=PAYLOADS[52]
    )
    boards.post_merge(source=merged, target=carrier, actor=admin)
    return Site(
        admin=admin,
        carrier=carrier,
        posts=posts,
        merged=merged,
        boards=board_list,
        private_board=private_board,
        statuses=statuses,
        tags=tags,
        comments=comments,
        endpoint_ids=endpoint_ids,
        people=people,
    )


def run_background_work() -> int:
    """The worker's share: consumers (search index, fan-out), then queued jobs."""
    drain()
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="xss-corpus")
    ran = 0
    while ran < 5_000 and worker.work_once():
        ran += 1
    drain()
    return ran


def add_failed_job() -> None:
    """A failed job whose arguments and error carry payloads, for the jobs page."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from monoboard.jobs.tasks import prune_finished_jobs

    result = prune_finished_jobs.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.FAILED,
        args_kwargs={"args": list(PAYLOADS[:20]), "kwargs": {"note": PAYLOADS[28]}},
        exception_class_path=PAYLOADS[29],
        traceback="Traceback (most recent call last):\n" + "\n".join(PAYLOADS),
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )


def post_path(post: Post) -> str:
    return f"/b/{post.board.slug}/p/{post.pk}-{post.slug}/"


# --- The crawl -----------------------------------------------------------------

SEARCHES = ("xss", "onerror", "script", "javascript", "svg", "iframe srcdoc", "textarea title")
SIMILAR = ("img onerror xss", "script xss", "svg onload xss")


def pages_for_everyone(site: Site) -> list[str]:
    paths = ["/", "/roadmap/", post_path(site.carrier), post_path(site.merged), "/api/v1/docs"]
    paths += [post_path(site.posts[i]) for i in (4, 6, 28)]
    paths += [f"/b/{b.slug}/" for b in site.boards[:3]]
    paths += [f"/b/features/?status={site.statuses[1].slug}&tag={site.tags[1].slug}"]
    return paths


def crawl(persona: Persona, site: Site, role: str) -> None:
    for path in pages_for_everyone(site):
        persona.visit(path)
        if path == "/api/v1/docs":
            persona.page.wait_for_selector(".swagger-ui .info")
            persona.audit(path)
    assert persona.visit_pages("/b/features/", "[data-testid=next-page]") >= 3
    for words in SEARCHES:
        persona.visit_pages(f"/search/?q={quote(words)}", "[data-testid=search-next]", limit=2)
        if words == "xss":
            assert persona.page.locator("[data-testid=search-snippet] mark").count(), (
                "search shows no highlighted snippet"
            )
    if role == "visitor":
        return
    persona.visit("/b/members/")
    persona.visit("/notifications/")
    persona.visit("/notifications/preferences/")
    persona.visit("/accounts/profile/")
    persona.visit(f"/b/features/p/{site.carrier.pk}/edit/")  # the member wrote it
    persona.visit("/b/features/")
    offered = sum(persona.type_title(words) for words in SIMILAR)
    assert offered, "no similar title was offered"
    if role != "admin":
        return
    persona.visit("/settings/")
    persona.visit("/settings/site/")
    persona.visit("/settings/boards/")
    persona.visit("/settings/statuses/")
    persona.visit("/settings/tags/")
    persona.visit("/accounts/people/")
    persona.visit("/jobs/admin/")
    persona.visit("/webhooks/admin/")
    persona.visit("/notifications/admin/")
    persona.visit(post_path(site.carrier) + "?merge_q=xss#merge")
    for i in (4, 6, 7, 28, 29):
        persona.visit(f"/settings/boards/{site.boards[i].pk}/")
        persona.visit(f"/settings/statuses/{site.statuses[i].pk}/")
        persona.visit(f"/settings/tags/{site.tags[i].pk}/")
        persona.visit(f"/webhooks/admin/{site.endpoint_ids[i]}/")
        persona.visit(f"/b/features/p/{site.posts[i].pk}/edit/")
        comment = site.comments[i]
        persona.visit(f"/b/features/p/{site.carrier.pk}/comments/{comment.pk}/edit/")


def crawl_every_payload(persona: Persona, site: Site) -> None:
    """Pages that show one payload each: every one of them, for the admin."""
    for post in site.posts:
        persona.visit(post_path(post))
    for payload in PAYLOADS:
        persona.visit(f"/search/?q={quote(payload)}")
    for i, payload in enumerate(PAYLOADS):
        boards.site_settings_update(actor=site.admin, site_name=payload[:80], tagline=payload)
        persona.visit(f"/b/{site.boards[i].slug}/")


def render_emails(persona: Persona) -> int:
    """Every outbox email's HTML, as a mail reader shows it (no policy applies)."""
    bodies = list(
        OutboxEmail.objects.exclude(html_body="").values_list("pk", "html_body").order_by("pk")
    )
    for pk, html in bodies:
        persona.page.set_content(html, wait_until="load")
        persona.audit(f"outbox email {pk}")
    return len(bodies)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are ordinary blocking ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    """Sixty people are created; password hashing is not what this tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def test_corpus_has_distinct_numbered_payloads() -> None:
    assert len(PAYLOADS) >= 40
    for i, payload in enumerate(PAYLOADS):
        assert f"__xss({i})" in payload, i


def test_no_payload_runs_on_any_page(
    browser: Browser,
    live_server: LiveServer,
    fast_hashing: None,
    admin: User,
    member: User,
    other_member: User,
    public_board: Board,
) -> None:
    site = write_everything(admin, member, other_member, public_board)
    assert run_background_work()
    add_failed_job()
    findings = Findings()
    personas = [
        ("visitor", None, False),
        ("member", member, False),
        ("admin", admin, False),
        ("admin without CSP", admin, True),
    ]
    for name, user, bypass in personas:
        persona = Persona.open(browser, live_server.url, findings, name, user, bypass)
        try:
            crawl(persona, site, "visitor" if user is None else name.split()[0])
            if bypass:
                crawl_every_payload(persona, site)
                assert render_emails(persona) > 0
        finally:
            persona.context.close()
    assert not findings.lines, "\n".join(findings.lines)
    assert findings.pages > 150


def test_the_nets_catch_a_payload_that_runs(browser: Browser) -> None:
    """The detectors themselves: a page that does run payloads is reported."""
    findings = Findings()
    persona = Persona.open(browser, "http://127.0.0.1:9", findings, "probe", bypass_csp=True)
    try:
        persona.page.set_content(f"{PAYLOADS[1]}<a href='javascript:void 0'>x</a>")
        persona.audit("a page made to fail")
        persona.page.wait_for_timeout(SETTLE_MS)
    finally:
        persona.context.close()
    assert any(line.startswith("payload 1 ran") for line in findings.lines), findings.lines
    assert any("handler: <img" in line for line in findings.lines), findings.lines
    assert any("url: <a" in line for line in findings.lines), findings.lines


LIVE = (0, 2, 4, 28, 29, 49, 50, 51, 62)


def wait_until(page: Page, check: str, arg: str) -> None:
    page.wait_for_function(check, arg=arg, timeout=TIMEOUT_MS)


def test_live_updates_carry_no_payload(
    browser: Browser,
    live_server: LiveServer,
    settings: Any,
    tmp_path: Path,
    fast_hashing: None,
    admin: User,
    member: User,
    other_member: User,
    public_board: Board,
) -> None:
    """Status changes, comments and votes that arrive over the event stream
    while a post page and a board page are open."""
    post = boards.post_create(board=public_board, author=member, title=PAYLOADS[4], body="x")
    statuses = [
        boards.status_save(actor=admin, fields=boards.StatusFields(name=_short(i, PAYLOADS[i], 40)))
        for i in LIVE
    ]
    findings = Findings()
    with events_server(tmp_path, REALTIME_CORS_ORIGINS=live_server.url) as port:
        settings.REALTIME_EVENTS_URL = f"http://127.0.0.1:{port}/events/"
        personas = [
            Persona.open(browser, live_server.url, findings, "member", member),
            Persona.open(browser, live_server.url, findings, "admin without CSP", admin, True),
            Persona.open(browser, live_server.url, findings, "visitor"),
        ]
        try:
            paths = [post_path(post), post_path(post), f"/b/{public_board.slug}/"]
            for persona, path in zip(personas, paths, strict=True):
                persona.visit(path)
                wait_until(
                    persona.page,
                    "() => document.body.getAttribute('data-live-state') === 'ready'",
                    "",
                )
            for status, i in zip(statuses, LIVE, strict=True):
                boards.post_set_status(post=post, actor=admin, status=status, note=PAYLOADS[i])
                boards.comment_create(post=post, author=other_member, body=PAYLOADS[i])
                boards.vote_toggle(post=post, user=other_member)
                for persona in personas:
                    wait_until(
                        persona.page,
                        "name => [...document.querySelectorAll('[data-testid=status-pill]')]"
                        ".some(pill => pill.textContent === name)",
                        status.name,
                    )
                    persona.audit(f"{persona.page.url} after live status {status.name!r}")
            for persona in personas[:2]:
                notice = persona.page.locator("[data-testid=live-new-comments]")
                assert notice.inner_text().startswith(f"{len(LIVE)} new comments")
                notice.click()
                persona.page.wait_for_load_state("load")
                persona.audit(f"{persona.page.url} reloaded with the live comments")
        finally:
            for persona in personas:
                persona.context.close()
    assert not findings.lines, "\n".join(findings.lines)

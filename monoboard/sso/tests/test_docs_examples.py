"""The customer-side examples in docs/accounts.md ("Single sign-on") sign tokens
the board accepts: the Python one run here, the Node one run by node."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from monoboard.accounts.models import User

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "accounts.md"


def example(heading: str, language: str) -> str:
    text = DOC.read_text()
    section = text[text.index(f"### {heading}\n") :]
    found = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert found, f"no {language} example under {heading}"
    return found.group(1)


def person(n: int) -> Any:
    company = SimpleNamespace(id=n * 10, name="Acme Ltd", mrr=1200)
    return SimpleNamespace(
        id=n,
        email=f"user{n}@customer.example",
        name=f"User {n}",
        avatar_url="https://cdn.customer.example/a.png",
        company=company,
        avatarUrl="https://cdn.customer.example/a.png",
        plan="pro",
    )


def signs_in(token: str, n: int) -> None:
    response = Client().get("/sso/callback", {"token": token})
    assert response.status_code == 302, response.content.decode()[-400:]
    user = User.objects.get(external_id=str(n))
    assert user.company is not None and user.company.monthly_revenue == 1200
    assert user.plan == "pro" and user.sso_roles == ",beta,"


def test_the_python_example(secret: str) -> None:
    code = example("Python", "python").replace('"mbsso_..."', json.dumps(secret))
    namespace: dict[str, Any] = {}
    exec(compile(code, "accounts.md", "exec"), namespace)  # noqa: S102 (our own docs)
    signs_in(namespace["board_token"](person(1)), 1)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_node_example(secret: str, tmp_path: Path) -> None:
    (tmp_path / "sign.mjs").write_text(example("JavaScript (Node)", "js"))
    user = json.dumps(vars(person(2)), default=vars)
    script = f'import {{ boardToken }} from "./sign.mjs"; console.log(boardToken({user}));'
    (tmp_path / "run.mjs").write_text(script)
    out = subprocess.run(
        ["node", "run.mjs"],
        cwd=tmp_path,
        env={"MONOBOARD_SSO_SECRET": secret, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    signs_in(out.stdout.strip(), 2)

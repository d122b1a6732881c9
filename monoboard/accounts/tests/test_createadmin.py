from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conftest import PASSWORD
from monoboard.accounts.models import Role, User

GOOD_PASSWORD = "the operator's lantern"


def run(*args: str) -> str:
    out = StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_creates_admin_from_flags(db: None, real_hashers: None) -> None:
    output = run(
        "--email", "Ops@Example.com", "--password", GOOD_PASSWORD, "--name", "Ops", "--no-input"
    )
    assert "Created admin: ops@example.com" in output
    user = User.objects.get(email="ops@example.com")
    assert (user.role, user.name, user.is_superuser) == (Role.ADMIN, "Ops", True)
    assert user.password.startswith("argon2")
    assert user.check_password(GOOD_PASSWORD)


def test_password_from_environment(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PW", GOOD_PASSWORD)
    run("--email", "env@example.com", "--password-env", "ADMIN_PW", "--no-input")
    assert User.objects.get(email="env@example.com").check_password(GOOD_PASSWORD)


def test_promotes_and_reactivates_existing_account(member: User) -> None:
    member.is_active = False
    member.save()
    output = run("--email", "MEM@example.com", "--no-input")
    assert "Made admin: mem@example.com" in output
    member.refresh_from_db()
    assert member.is_admin and member.is_active
    assert member.check_password(PASSWORD)  # no password given: unchanged


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-input"], "--email is required"),
        (["--email", "not-an-email", "--password", GOOD_PASSWORD, "--no-input"], "valid email"),
        (["--email", "new@example.com", "--no-input"], "needs a password"),
        (["--email", "new@example.com", "--password", "123", "--no-input"], "too short"),
        (
            ["--email", "new@example.com", "--password-env", "NO_SUCH_VAR_X", "--no-input"],
            "not set",
        ),
    ],
)
def test_bad_input_is_a_clear_error(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not User.objects.filter(email="new@example.com").exists()


def test_interactive_prompts(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["prompted@example.com", "Prompted Person"])
    secrets = iter([GOOD_PASSWORD, GOOD_PASSWORD])

    def fake_input(prompt: str = "") -> str:
        return next(answers)

    def fake_getpass(prompt: str = "", *args: Any) -> str:
        return next(secrets)

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    output = run()
    assert "Created admin: prompted@example.com" in output
    user = User.objects.get(email="prompted@example.com")
    assert user.name == "Prompted Person"
    assert user.check_password(GOOD_PASSWORD)


def test_interactive_password_mismatch(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["prompted@example.com", ""])
    secrets = iter([GOOD_PASSWORD, "something else"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(secrets))
    with pytest.raises(CommandError, match="differ"):
        run()
    assert not User.objects.exists()

"""``manage.py createadmin``: create an admin account, or promote an existing one."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.accounts import services


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Create an admin account, or make an existing account an admin "
        "(reactivating it). Prompts for what is missing unless --no-input is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="the admin's email address (their sign-in name)")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument(
            "--password", help="the password (visible in the process list; prefer --password-env)"
        )
        secret.add_argument(
            "--password-env", metavar="VAR", help="read the password from this environment variable"
        )
        parser.add_argument("--name", help="display name")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="never prompt; fail if something required is missing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive: bool = options["interactive"]
        email: str | None = options["email"]
        name: str | None = options["name"]
        password: str | None = options["password"]
        if options["password_env"]:
            password = os.environ.get(options["password_env"])
            if not password:
                raise CommandError(f"Environment variable {options['password_env']} is not set.")
        no_flags = not any(options[k] for k in ("email", "password", "password_env", "name"))

        if not email:
            if not interactive:
                raise CommandError("--email is required with --no-input.")
            email = input("Email: ").strip()
        if interactive and no_flags:
            name = input("Name (optional): ").strip() or None
            password = self._prompt_password()
        try:
            user, created = services.admin_create_or_promote(
                email=email, password=password, name=name
            )
        except ValidationError as exc:
            if interactive and not password and "password" in getattr(exc, "error_dict", {}):
                password = self._prompt_password()
                try:
                    user, created = services.admin_create_or_promote(
                        email=email, password=password, name=name
                    )
                except ValidationError as again:
                    raise CommandError(_describe(again)) from None
            else:
                raise CommandError(_describe(exc)) from None
        verb = "Created admin" if created else "Made admin"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {user.email}"))

    def _prompt_password(self) -> str | None:
        first = getpass.getpass("Password (leave empty to keep an existing one): ")
        if not first:
            return None
        if getpass.getpass("Password again: ") != first:
            raise CommandError("The two passwords differ.")
        return first

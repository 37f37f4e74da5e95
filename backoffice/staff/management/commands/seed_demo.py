"""`manage.py seed_demo`: one demo login per staff role, then every demo data loader.

Idempotent: an existing demo user is left as it is (password included); only a missing role or
demo flag is added back. Refuses to run with DEBUG off unless --force, so that a production
database never gets accounts with published passwords by accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from core_banking.audit.context import acting

from ...models import StaffProfile
from ...roles import STAFF_ROLE_NAMES, assign_role


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    created: bool


def demo_username(role: str) -> str:
    return f"demo_{role}"


def demo_password(role: str) -> str:
    return settings.DEMO_PASSWORD.replace("{role}", role)


def demo_user_ensure(*, role: str) -> DemoLogin:
    """Create the demo login of `role` if missing; never resets an existing one.

    Refuses a same-named account that seed_demo did not create: flagging it as a demo account
    would exempt a real person from 2FA when the demo exemption is on.
    """
    User = get_user_model()
    username = demo_username(role)
    password = demo_password(role)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username, is_staff=True, is_active=True)
            user.first_name = "Demo"
            user.last_name = role.replace("_", " ").title()
            user.set_password(password)
            user.save()
            StaffProfile.objects.create(user=user, is_demo_account=True)
        elif not StaffProfile.objects.filter(user=user, is_demo_account=True).exists():
            raise CommandError(
                f"User {username!r} exists but was not created by seed_demo; "
                "rename it or remove it before seeding demo data."
            )
        assign_role(user, role)
    return DemoLogin(role=role, username=username, password=password, created=created)


def demo_data_loaders_run(*, stdout) -> None:
    for dotted_path in settings.DEMO_DATA_LOADERS:
        try:
            loader = import_string(dotted_path)
        except ImportError as error:
            message = f"DEMO_DATA_LOADERS: cannot import {dotted_path!r}: {error}"
            raise CommandError(message) from error
        stdout.write(f"Loading demo data: {dotted_path}")
        loader(stdout=stdout)


class Command(BaseCommand):
    help = "Create one demo staff login per role and load the demo data (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (never on a production database).",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed demo data with DEBUG off: demo logins have published "
                "passwords. Use --force if this really is a development or test database."
            )
        with acting(channel="command", actor_repr="seed_demo"):
            logins = [demo_user_ensure(role=role) for role in STAFF_ROLE_NAMES]
            self._print_logins(logins)
            demo_data_loaders_run(stdout=self.stdout)

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        port = os.environ.get("PORT") or "8000"
        headers = ("Role", "Username", "Password", "Status")
        rows = [
            (login.role, login.username, login.password, "created" if login.created else "exists") for login in logins
        ]
        widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

        def format_row(cells: tuple[str, ...]) -> str:
            return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

        self.stdout.write("Demo logins (one per staff role):")
        self.stdout.write(format_row(headers).rstrip())
        self.stdout.write("  ".join("-" * width for width in widths))
        for row in rows:
            self.stdout.write(format_row(row).rstrip())
        self.stdout.write(f"Sign in at http://127.0.0.1:{port}/staff/login/")
        if settings.STAFF_2FA_EXEMPT_DEMO_USERS:
            self.stdout.write("Demo logins skip 2FA (STAFF_2FA_EXEMPT_DEMO_USERS is on).")
        else:
            self.stdout.write(
                "Demo logins need 2FA: the first sign-in asks you to enrol an authenticator "
                "app (set STAFF_2FA_EXEMPT_DEMO_USERS=1 to skip it on a development machine)."
            )
        if any(not login.created for login in logins):
            self.stdout.write("Existing demo users were left unchanged (passwords not reset).")

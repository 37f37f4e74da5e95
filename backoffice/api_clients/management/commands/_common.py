"""Shared bits of the API-client management commands."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import CommandError

WARNING = "Store this token now: it is not saved anywhere and cannot be shown again."


def positive_days(value: str) -> int:
    import argparse

    try:
        days = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from exc
    if days < 1:
        raise argparse.ArgumentTypeError("--expires-days must be at least 1")
    return days


def lifetime(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days else None


def print_token(command, token, plain: str) -> None:
    expiry = token.expires_at.isoformat() if token.expires_at else "never"
    command.stdout.write(f"Token for API client {token.client.name!r} (prefix {token.prefix}, "
                         f"expires {expiry}):")
    command.stdout.write(plain)
    command.stderr.write(command.style.WARNING(WARNING))


def refuse(error) -> CommandError:
    """A domain error as a command error: printed to stderr, exit status 1."""
    return CommandError(f"{error.detail} [{error.code}]")

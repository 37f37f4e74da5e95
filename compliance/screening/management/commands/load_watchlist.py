"""``python manage.py load_watchlist CODE PATH [--format opensanctions-csv|ftm-json]``: load a
list file as the new active version of the watch list ``CODE`` (created with ``--name`` and
``--kind`` when it does not exist yet). Bad rows are reported (line and reason) on stderr and the
good rows load; a file already loaded into the list, or one that cannot be read, exits non-zero."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.screening import loader, services
from compliance.screening.models import WatchList
from core_banking.common.errors import DomainError


class Command(BaseCommand):
    help = "Load a sanctions / PEP list file as the new active version of a watch list."

    def add_arguments(self, parser) -> None:
        parser.add_argument("code")
        parser.add_argument("path")
        parser.add_argument("--format", dest="fmt", choices=loader.FORMATS, default="opensanctions-csv")
        parser.add_argument("--name", default="", help="The list's name, when it is created.")
        parser.add_argument("--kind", choices=WatchList.Kind.values, default=WatchList.Kind.SANCTIONS)
        parser.add_argument("--source", default="")
        parser.add_argument("--no-rescreen", action="store_true", help="Do not rescreen the customers afterwards.")

    def handle(self, *args, code: str, path: str, fmt: str, name: str, kind: str, source: str, no_rescreen: bool,
               **options) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        services.watchlist_ensure(code=code, name=name, kind=kind, source=source)
        try:
            result = services.version_load(list_code=code, content=file.read_bytes(), file_name=file.name, fmt=fmt,
                                           rescreen=not no_rescreen)
        except DomainError as error:
            for row in error.extra.get("rejected", []):
                self.stderr.write(f"line {row['line']}: {row['reason']}")
            raise CommandError(f"{error.code}: {error.detail}") from error
        for row in result.rejected:
            self.stderr.write(f"line {row['line']}: {row['reason']}")
        v = result.version
        self.stdout.write(f"{code}: version {v.pk} active, {v.entry_count} entries loaded, "
                          f"{len(result.rejected)} rejected, {result.skipped} skipped (sha256 {v.sha256})")

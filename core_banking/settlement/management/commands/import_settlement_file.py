import pathlib

from django.core.management.base import BaseCommand, CommandError

from core_banking.common.errors import DomainError
from core_banking.settlement.services import settlement_file_import


class Command(BaseCommand):
    help = ("Import a pain.002 status report or a camt.054 notification: accepted payments become settled, "
            "rejected ones are returned to the payer, incoming credits are booked by IBAN or go to suspense. "
            "The same file twice changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="XML files")

    def handle(self, *args, **options):
        for path in options["paths"]:
            data = pathlib.Path(path).read_bytes()
            try:
                result = settlement_file_import(data=data, name=pathlib.Path(path).name)
            except DomainError as error:
                raise CommandError(f"{path}: {error.code}: {error}") from error
            verb = "imported" if result.created else "already imported, nothing changed"
            self.stdout.write(f"{path}: {result.file.kind} {verb}: {result.file.summary}")

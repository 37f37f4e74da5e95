"""``python manage.py import_statement EXTERNAL_ACCOUNT PATH [--format camt053|mt940|csv]``

EXTERNAL_ACCOUNT is the external account's id or its account identifier (IBAN). Exits non-zero
with the reason when the file is refused (duplicate, overlap, unreadable, other account)."""

import json

from django.core.management.base import BaseCommand, CommandError

from reconciliation.models import ExternalAccount, Format
from reconciliation.services import ReconciliationError, statement_import


class Command(BaseCommand):
    help = "Import a bank statement file (camt.053, MT940, CSV) into an external account."

    def add_arguments(self, parser):
        parser.add_argument("external_account", help="id or account identifier (IBAN)")
        parser.add_argument("path")
        parser.add_argument("--format", choices=Format.values, default=None, help="default: detected")
        parser.add_argument("--no-match", action="store_true", help="do not run auto-matching afterwards")

    def handle(self, *args, **options):
        ref = options["external_account"]
        accounts = ExternalAccount.objects.filter(account_identifier=ref)
        if ref.isdigit():
            accounts = ExternalAccount.objects.filter(pk=int(ref)) | accounts
        if accounts.count() != 1:
            raise CommandError(f"external account {ref!r}: {'not found' if not accounts else 'ambiguous'}")
        try:
            result = statement_import(external_account=accounts.get(), file=options["path"],
                                      format=options["format"], actor=None, automatch=not options["no_match"])
        except ReconciliationError as error:
            raise CommandError(f"refused ({error.code}): {error.detail}") from error
        except OSError as error:
            raise CommandError(f"cannot read {options['path']}: {error}") from error
        for st in result.statements:
            flag = "balanced" if st.balanced else f"NOT BALANCED (computed {st.computed_closing})"
            self.stdout.write(f"statement {st.pk} {st.statement_id} {st.period_from}..{st.period_to}: "
                              f"{st.line_count} lines, {st.rejected_count} rejected, {flag}")
        if result.errors:
            self.stdout.write("report: " + json.dumps(result.errors, default=str)[:4000])
        self.stdout.write(self.style.SUCCESS(
            f"file {result.file.pk}: {len(result.statements)} statement(s), {result.lines} lines, "
            f"{result.rejected} rejected; matching {json.dumps(result.matching)}"))

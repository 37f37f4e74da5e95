import json
import time

from django.core.management.base import BaseCommand, CommandError

from core_banking.payments.books import payments_books_check


class Command(BaseCommand):
    help = (
        "Compare every payment with its journal entries and holds (status against entries, no entry of a payment "
        "reversed outside it, no orphan payment entries, review holds, amounts on the customers' accounts). "
        "Exits 0 when they agree, 1 naming each mismatch when not. Run it beside verify_ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--limit", type=int, default=100, help="mismatches to name (all are counted)")

    def handle(self, *args, **options):
        started = time.monotonic()
        report = payments_books_check(limit=options["limit"])
        seconds = round(time.monotonic() - started, 3)
        if options["json"]:
            self.stdout.write(json.dumps({"payments": report.payments, "ok": report.ok,
                                          "problem_count": report.problem_count, "seconds": seconds,
                                          "details": report.problems}, indent=2))
        else:
            self.stdout.write(f"payments {report.payments}, {seconds} s")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"FAIL {problem['code']}: {problem['detail']}")
            if report.problem_count > len(report.problems):
                self.stderr.write(f"... and {report.problem_count - len(report.problems)} more")
            raise CommandError(f"books verification failed: {report.problem_count} mismatch(es)")
        self.stdout.write(self.style.SUCCESS("books verified: every payment agrees with the ledger"))

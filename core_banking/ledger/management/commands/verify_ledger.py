import json
import time

from django.core.management.base import BaseCommand, CommandError

from core_banking.ledger.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute balances from postings and check every ledger invariant (balanced entries, "
        "balance-after chains, stored balances, holds, zero sum per currency, hash chains). "
        "Exits 0 with a summary when all hold, 1 naming the offending rows when not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **options):
        started = time.monotonic()
        report = verify_ledger()
        summary = report.summary() | {"seconds": round(time.monotonic() - started, 3)}
        if options["json"]:
            self.stdout.write(json.dumps(summary | {"details": report.problems}, indent=2))
        else:
            self.stdout.write(
                f"entries {report.entries}, postings {report.postings}, balance shards {report.shards}, "
                f"hash chains {report.chains}, {summary['seconds']} s"
            )
            for currency, total in sorted(report.totals.items()):
                self.stdout.write(f"  sum of postings in {currency}: {total:f}")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"FAIL {problem}")
            if report.problem_count > len(report.problems):
                self.stderr.write(f"... and {report.problem_count - len(report.problems)} more")
            raise CommandError(f"ledger verification failed: {report.problem_count} problem(s)")
        self.stdout.write(self.style.SUCCESS("ledger verified: every invariant holds"))

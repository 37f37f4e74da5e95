from django.core.management.base import BaseCommand, CommandError

from core_banking.settlement.services import close_due_batches


class Command(BaseCommand):
    help = ("Queue posted outgoing payments into settlement batches, close every batch whose cut-off has passed "
            "(its pain.001 written, validated and stored) and send the closed ones. What the beat task "
            "settlement.close_due_batches does; safe to run at any time. Exits 1 when a batch failed.")

    def handle(self, *args, **options):
        report = close_due_batches()
        self.stdout.write(f"queued {report.queued}, closed {report.closed}, sent {report.sent}, "
                          f"failed {report.failed}")
        if report.failed:
            raise CommandError(f"{report.failed} batch(es) failed; see the log")

"""``manage.py relay_webhooks``: one relay pass now (the quick start has no beat or worker)."""

import json

from django.core.management.base import BaseCommand

from backoffice.webhooks.relay import relay_pass


class Command(BaseCommand):
    help = "Deliver the outbox's events to the webhook subscriptions now (one relay pass)."

    def add_arguments(self, parser):
        parser.add_argument("--budget", type=float, default=60.0, help="Seconds to keep posting (default 60).")

    def handle(self, *args, budget: float, **options):
        self.stdout.write(json.dumps(relay_pass(budget_seconds=budget)))

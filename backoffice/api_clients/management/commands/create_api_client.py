from django.core.management.base import BaseCommand
from django.db import transaction

from core_banking.audit.context import acting
from core_banking.common.errors import DomainError

from ...models import ROLE_NAMES
from ...services import api_client_create, api_token_issue
from ._common import lifetime, positive_days, print_token, refuse


class Command(BaseCommand):
    help = "Create an API client (its user, role and scopes) and print its first token once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Client name, e.g. payments-gateway")
        parser.add_argument(
            "--role", required=True, help=f"Role group, one of: {', '.join(ROLE_NAMES)}"
        )
        parser.add_argument(
            "--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
            help="API scope the client may use, e.g. ledger (repeat for several)",
        )
        parser.add_argument(
            "--expires-days", type=positive_days, default=None, metavar="N",
            help="Token lifetime in days (default: no expiry)",
        )

    def handle(self, *args, name, role, scopes, expires_days, **options):
        with acting(channel="command"):
            try:
                with transaction.atomic():
                    client = api_client_create(name=name, role=role, scopes=scopes)
                    token, plain = api_token_issue(client=client, expires_in=lifetime(expires_days))
            except DomainError as error:
                raise refuse(error) from error
        self.stdout.write(
            f"Created API client {client.name!r} (user {client.user.username}, role {client.role}, "
            f"scopes {', '.join(client.scopes) or 'none'})."
        )
        print_token(self, token, plain)

from django.core.management.base import BaseCommand, CommandError

from core_banking.audit.context import acting
from core_banking.common.errors import DomainError

from ...selectors import api_client_get_by_name
from ...services import api_token_issue
from ._common import lifetime, positive_days, print_token, refuse


class Command(BaseCommand):
    help = "Issue a new token for an existing API client and print it once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="API client name")
        parser.add_argument(
            "--expires-days", type=positive_days, default=None, metavar="N",
            help="Token lifetime in days (default: no expiry)",
        )

    def handle(self, *args, name, expires_days, **options):
        client = api_client_get_by_name(name=name)
        if client is None:
            raise CommandError(f"There is no API client named {name!r}. [not_found]")
        with acting(channel="command"):
            try:
                token, plain = api_token_issue(client=client, expires_in=lifetime(expires_days))
            except DomainError as error:
                raise refuse(error) from error
        print_token(self, token, plain)

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core_banking.audit.context import acting
from core_banking.common.errors import DomainError

from ...selectors import api_client_get_by_name
from ...services import api_token_issue
from ._common import lifetime, positive_days, print_token, refuse


class Command(BaseCommand):
    help = ("Issue a new token for an existing API client and print it once. Only the client's owner issues its "
            "tokens: --issued-by names them.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="API client name")
        parser.add_argument("--issued-by", required=True, metavar="USERNAME",
                            help="Username of the client's owner, who receives the token")
        parser.add_argument(
            "--expires-days", type=positive_days, default=None, metavar="N",
            help="Token lifetime in days (default: no expiry)",
        )

    def handle(self, *args, name, issued_by, expires_days, **options):
        client = api_client_get_by_name(name=name)
        if client is None:
            raise CommandError(f"There is no API client named {name!r}. [not_found]")
        with acting(channel="command"):
            try:
                issuer = get_user_model().objects.filter(username=issued_by).first()
                if issuer is None:
                    raise CommandError(f"There is no user named {issued_by!r}. [not_found]")
                token, plain = api_token_issue(client=client, expires_in=lifetime(expires_days), created_by=issuer)
            except DomainError as error:
                raise refuse(error) from error
        print_token(self, token, plain)

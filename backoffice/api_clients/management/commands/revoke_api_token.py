from django.core.management.base import BaseCommand, CommandError

from core_banking.audit.context import acting
from core_banking.common.errors import DomainError

from ...selectors import api_token_get_by_prefix
from ...services import api_token_revoke
from ._common import refuse


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the part before the dot); it stops working at once."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="Token prefix, e.g. k3x9q2ab")

    def handle(self, *args, prefix, **options):
        prefix = prefix.split(".", 1)[0]  # accept a whole token too; only the prefix is used
        token = api_token_get_by_prefix(prefix=prefix)
        if token is None:
            raise CommandError(f"There is no API token with prefix {prefix!r}. [not_found]")
        with acting(channel="command"):
            try:
                token = api_token_revoke(token=token)
            except DomainError as error:
                raise refuse(error) from error
        self.stdout.write(f"Revoked token {token.prefix} of API client {token.client.name!r}.")

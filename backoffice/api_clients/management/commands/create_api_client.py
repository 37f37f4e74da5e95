from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from core_banking.audit.context import acting
from core_banking.common.errors import DomainError

from ...exceptions import InvalidOwner
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
            "--owner", required=True, metavar="USERNAME",
            help="Username of the staff member who owns the client (active staff, not an API client)",
        )
        parser.add_argument(
            "--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
            help="API scope the client may use, e.g. ledger (repeat for several)",
        )
        parser.add_argument(
            "--expires-days", type=positive_days, default=None, metavar="N",
            help="Token lifetime in days (default: no expiry)",
        )

    def handle(self, *args, name, role, owner, scopes, expires_days, **options):
        with acting(channel="command"):
            try:
                owner_user = get_user_model().objects.filter(username=owner).first()
                if owner_user is None:
                    raise InvalidOwner(f"There is no user named {owner!r}.", field="owner")
                with transaction.atomic():
                    client = api_client_create(name=name, role=role, scopes=scopes, owner=owner_user)
                    token, plain = api_token_issue(client=client, expires_in=lifetime(expires_days))
            except DomainError as error:
                raise refuse(error) from error
        self.stdout.write(
            f"Created API client {client.name!r} (user {client.user.username}, role {client.role}, "
            f"scopes {', '.join(client.scopes) or 'none'}, owner {client.owner.username})."
        )
        print_token(self, token, plain)

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from backoffice.approvals.guard import GUARD
from core_banking.audit.context import acting
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred

from ...exceptions import InvalidOwner
from ...models import ROLE_NAMES
from ...services import api_client_create
from ._common import refuse


class Command(BaseCommand):
    help = (
        "Ask for a new API client (its user, role and scopes): creates an `api_client_create` approval request "
        "made by --requested-by (an administrator). Once a compliance officer approves it, issue its token with "
        "`issue_api_token NAME`. Like every route, the command cannot create a client by itself."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Client name, e.g. payments-gateway")
        parser.add_argument("--role", required=True, help=f"Role group, one of: {', '.join(ROLE_NAMES)}")
        parser.add_argument(
            "--owner", required=True, metavar="USERNAME",
            help="Username of the staff member who owns the client (active staff, not an API client)",
        )
        parser.add_argument(
            "--requested-by", required=True, metavar="USERNAME",
            help="Username of the administrator asking for the client (the maker of the approval request)",
        )
        parser.add_argument(
            "--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
            help="API scope the client may use, e.g. ledger (repeat for several)",
        )

    def handle(self, *args, name, role, owner, requested_by, scopes, **options):
        users = get_user_model().objects
        with acting(channel="command"):
            try:
                owner_user = users.filter(username=owner).first()
                if owner_user is None:
                    raise InvalidOwner(f"There is no user named {owner!r}.", field="owner")
                maker = users.filter(username=requested_by).first()
                if maker is None:
                    raise InvalidOwner(f"There is no user named {requested_by!r}.", field="requested_by")
                GUARD.require_initiator("api_client_create", maker)
                result = api_client_create(name=name, role=role, scopes=scopes, owner=owner_user, created_by=maker)
            except DomainError as error:
                raise refuse(error) from error
        if isinstance(result, Deferred):
            self.stdout.write(
                f"Approval request #{result.request_id} created: API client {name!r} (role {role}, scopes "
                f"{', '.join(sorted(set(scopes))) or 'none'}, owner {owner_user.username}). It is created when a "
                f"compliance officer approves it; then issue its token with `manage.py issue_api_token {name}`.")
        else:  # the policy let it through (no approval needed)
            self.stdout.write(f"Created API client {result.name!r}; issue its token with "
                              f"`manage.py issue_api_token {result.name}`.")

"""Seed the fuzz server's database: the demo data, then one API client and token per role.

Run by ``tests/fuzz/test_schemathesis.py`` as ``python -m tests.fuzz.seed`` with the server's
environment (its own database, already migrated). Prints one JSON object on its last line:
``{"tokens": {"<client name>": "<prefix>.<secret>", ...}, "decoy_client_id": ..., "decoy_token_prefix": ...}``.

Each staff role and ``api_client`` gets a *bank-channel* client holding every scope (so every
operation is reachable by at least the roles allowed through its door, bank-internal EOD
included), and ``api_client`` also a *partner* client (the default kind, which sees only its own
creations). The clients are made through the real service under ``system_execution()`` (the
maker-checker gate on creating clients has its own tests), as the test suite's fixtures do.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from backoffice.api_clients.models import ApiClient, ClientKind
    from backoffice.api_clients.services import api_client_create, api_token_issue
    from backoffice.staff.roles import ROLE_NAMES, STAFF_ROLE_NAMES, assign_role
    from core_banking.audit.context import acting
    from core_banking.common.maker_checker import system_execution

    call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115

    scopes = sorted(_all_scopes())
    owner, _ = get_user_model().objects.get_or_create(username="fuzz-owner", defaults={"is_staff": True})
    assign_role(owner, STAFF_ROLE_NAMES[0])
    clients = [(f"fuzz-{role.replace('_', '-')}", role, ClientKind.BANK_CHANNEL) for role in ROLE_NAMES]
    clients.append(("fuzz-partner", "api_client", ClientKind.PARTNER))
    tokens = {}
    with acting(channel="command", actor_repr="fuzz seed"):
        for name, role, kind in clients:
            client = ApiClient.objects.filter(name=name).first()
            if client is None:
                with system_execution():
                    client = api_client_create(name=name, role=role, scopes=scopes, owner=owner)
            if client.kind != kind:
                client.kind = kind
                client.save(update_fields=["kind"])
            _token, plain = api_token_issue(client=client, created_by=owner)
            tokens[name] = plain
        # What the run's writes to API clients and tokens act on (tests/fuzz/schemathesis.toml): a client
        # of no use to anyone, so that deactivating or revoking never locks the run itself out.
        decoy = ApiClient.objects.filter(name="fuzz-decoy").first()
        if decoy is None:
            with system_execution():
                decoy = api_client_create(name="fuzz-decoy", role="api_client", scopes=[], owner=owner)
        decoy_token, _plain = api_token_issue(client=decoy, created_by=owner)
    sys.stdout.write(json.dumps({"tokens": tokens, "decoy_client_id": decoy.pk,
                                 "decoy_token_prefix": decoy_token.prefix}) + "\n")


def _all_scopes() -> set[str]:
    """Every scope a view under /api/ requires."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: set[str] = set()
    stack = list(get_resolver().url_patterns)
    while stack:
        pattern = stack.pop()
        if isinstance(pattern, URLResolver):
            stack.extend(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = pattern.callback
            cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
            found.update(getattr(cls, "required_scopes", None) or ())
    return found


if __name__ == "__main__":
    main()

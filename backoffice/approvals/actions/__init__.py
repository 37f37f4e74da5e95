"""The maker-checker action types, one module per area of the bank; each exports ``ACTIONS``.

The modules are listed in the ``APPROVAL_ACTION_MODULES`` setting and assembled, in that order,
by ``backoffice/approvals/registry.py``. An app of the back office adds its own module (as
``backoffice/api_clients/approval_actions.py`` and ``compliance/monitoring/approval_actions.py``
do); the engine's actions (ledger, accounts, payments, customers) live here because
``core_banking`` never imports the back office.
"""

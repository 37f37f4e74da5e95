"""The screening permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* compliance_officer: owns the lists: sees the lists, their versions and entries, loads a new
  version (API upload, ``load_watchlist`` is the command-line way), screens names ad hoc, sees and
  decides the hits.
* compliance_reviewer: works the hits: sees the lists, versions, entries and hits, screens names
  ad hoc and decides hits; loads no list (what the bank screens against is the officer's call).
* operations, support_agent, finance, administrator: nothing. Screening results are compliance
  information (tipping-off: whoever talks to the customer must not learn of a hit).
* api_client: nothing; a bank-channel client gets the ``compliance`` scope and one of the roles
  above when the bank's own tooling needs it (a partner's token is always refused).
"""

VIEW_LIST = "compliance_screening.view_watchlist"
VIEW_VERSION = "compliance_screening.view_listversion"
VIEW_ENTRY = "compliance_screening.view_listentry"
VIEW_HIT = "compliance_screening.view_screeninghit"
LOAD = "compliance_screening.load_watchlist"
SCREEN = "compliance_screening.screen_name"
DECIDE = "compliance_screening.decide_screeninghit"

_READ = [VIEW_LIST, VIEW_VERSION, VIEW_ENTRY, VIEW_HIT]

SCREENING_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [],
    "compliance_reviewer": [*_READ, SCREEN, DECIDE],
    "compliance_officer": [*_READ, LOAD, SCREEN, DECIDE],
    "support_agent": [],
    "finance": [],
    "administrator": [],
    "api_client": [],
}

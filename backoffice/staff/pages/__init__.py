"""The staff pages of issue 9, server-rendered under ``/staff/`` (see docs/staff-pages.md):

* ``search``: one box that finds customers, accounts, payments, ledger entries, tickets and cases;
* ``customer``: the customer 360° with its actions (open a ticket, request an account freeze through
  maker-checker, request a document);
* ``transactions``: the support agent's payment look-up and a payment's full story;
* ``queues``: my KYC reviews, approvals, tickets and compliance cases by SLA, and the KYC
  application and approval request pages they open;
* ``dashboard``: the operations dashboard with its charts and the live end-of-day panel.

Every view is guarded by ``backoffice.staff.decorators.staff_page``; each reads through the owning
apps' selectors and acts only through their services.
"""

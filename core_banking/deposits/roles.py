"""The deposits permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: opens deposits for customers and withdraws them early (``open_termdeposit``,
  ``withdraw_termdeposit``), and sees products, deposits, their accruals and history.
* support_agent: sees deposits, their accruals and history, and the products (to answer "when
  does my deposit mature and what will I get?"); changes nothing.
* finance: defines and maintains the products (rates, terms, tax, penalty rule) and sees
  everything; opens and withdraws nothing.
* compliance_officer: sees deposits and their history (investigations); compliance_reviewer and
  administrator: nothing (they do not work with deposits).
* api_client: a partner app shows the products, opens deposits and withdraws them on its
  customers' instructions.
"""

_VIEW = ("deposits.view_termdeposit", "deposits.view_depositaccrual", "deposits.view_depositstatuschange")
_PRODUCTS = ("deposits.view_depositproduct",)

DEPOSITS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*_VIEW, *_PRODUCTS, "deposits.open_termdeposit", "deposits.withdraw_termdeposit"],
    "compliance_reviewer": [],
    "compliance_officer": [*_VIEW],
    "support_agent": [*_VIEW, *_PRODUCTS],
    "finance": [*_VIEW, *_PRODUCTS, "deposits.add_depositproduct", "deposits.change_depositproduct"],
    "administrator": [],
    "api_client": [*_VIEW, *_PRODUCTS, "deposits.open_termdeposit", "deposits.withdraw_termdeposit"],
}

"""The loans permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

Least privilege, and the maker-checker split of lending:

* operations: takes applications, disburses approved loans, takes repayments (regular and
  early); sees products and loans.
* finance: defines loan products, approves applications (never their own: the service and a
  CHECK constraint refuse it) and writes loans off.
* support_agent: sees products and loans, to answer a customer.
* compliance_officer: sees loans (investigations); the compliance reviewer needs none.
* administrator: none (staff accounts and configuration of the platform, not lending).
* api_client: a partner app applies for loans on its customers' behalf and takes repayments.
"""

_VIEW = ["loans.view_loanproduct", "loans.view_loan"]

LOANS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*_VIEW, "loans.add_loan", "loans.disburse_loan", "loans.repay_loan"],
    "compliance_reviewer": [],
    "compliance_officer": ["loans.view_loan"],
    "support_agent": [*_VIEW],
    "finance": [*_VIEW, "loans.add_loanproduct", "loans.change_loanproduct", "loans.approve_loan",
                "loans.write_off_loan"],
    "administrator": [],
    "api_client": [*_VIEW, "loans.add_loan", "loans.repay_loan"],
}

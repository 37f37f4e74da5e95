"""The KYC permissions per role, to be merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: onboarding (open applications, upload documents, submit), assigning reviewers,
  reading documents of the applications it assigns.
* compliance_reviewer: reviews the applications assigned to them (object permission); opens one
  for a customer waiting for review (issue 16: otherwise nobody on the staff side could).
* compliance_officer: reviews any application, assigns, gives second approvals; opens applications.
* support_agent and administrator: see applications, never their documents.
* api_client: a partner onboarding app opens applications, uploads documents and submits.
"""

_VIEW = ("kyc.view_kycapplication", "kyc.view_kyccheckresult", "kyc.view_kychistory")

KYC_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*_VIEW, "kyc.add_kycapplication", "kyc.assign_kycapplication", "kyc.view_kycdocument",
                   "kyc.add_kycdocument"],
    "compliance_reviewer": [*_VIEW, "kyc.add_kycapplication", "kyc.review_kycapplication", "kyc.view_kycdocument"],
    "compliance_officer": [*_VIEW, "kyc.add_kycapplication", "kyc.review_kycapplication",
                           "kyc.supervise_kycapplication", "kyc.assign_kycapplication", "kyc.view_kycdocument"],
    "support_agent": ["kyc.view_kycapplication"],
    "finance": [],
    "administrator": ["kyc.view_kycapplication"],
    "api_client": ["kyc.view_kycapplication", "kyc.add_kycapplication", "kyc.add_kycdocument"],
}

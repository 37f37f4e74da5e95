"""KYC review: applications for persons and businesses, their documents, automatic checks, the
risk score and the review workflow that sets a customer's KYC status (see ``models``)."""

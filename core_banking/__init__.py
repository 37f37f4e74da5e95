"""The financial engine and system of record. Never imports `backoffice`, `compliance` or
`reconciliation`; where it needs a decision they configure, it defines a seam in settings."""

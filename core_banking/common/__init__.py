"""Building blocks shared by every app: the error hierarchy, money, API plumbing."""

"""Developer tools that are not part of the application (``python -m tools.mutate``)."""

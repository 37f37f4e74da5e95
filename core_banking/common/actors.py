"""Who did it: the user a write is attributed to."""


def user_or_none(actor):
    """``actor`` when it is a saved, signed-in user (a staff member or an API client's user);
    ``None`` for the system (no actor) and for an anonymous user. For foreign keys such as
    ``created_by`` and history rows' ``actor``."""
    if actor is None or getattr(actor, "is_anonymous", False) or not getattr(actor, "pk", None):
        return None
    return actor

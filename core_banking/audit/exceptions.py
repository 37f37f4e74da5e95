from __future__ import annotations

from core_banking.common.errors import Conflict


class AuditTrailImmutable(Conflict):
    """An attempt to change or remove an audit event: the trail is append-only."""

    code = "audit_trail_immutable"
    title = "Audit events can be added, never changed or removed"

"""``approval.decided`` (``core_banking/events/catalogue.py``): a request left pending (approved,
rejected, cancelled, expired) or was executed or failed to execute; written with its history
row. Bank-internal: no partner audience."""

from __future__ import annotations

from core_banking.events.services import emit_many


def approval_decided(rows: list[tuple[int, str, str, str, str]]) -> None:
    """``rows``: ``(request_id, action_type, target_key, from_status, status)``."""
    emit_many([("approval.decided", pk, {"request_id": pk, "action_type": action_type, "target": target,
                                         "from_status": before, "status": status})
               for pk, action_type, target, before, status in rows])

"""Settlement's domain events (``core_banking/events/catalogue.py``), written by the services in
the change's transaction. Batches, files and suspense items are the bank's own business: no
partner audience (staff and bank-channel clients see them)."""

from __future__ import annotations

from core_banking.events.services import emit

from .models import Batch, SuspenseItem


def batch_event(batch: Batch, from_status: str, reason: str = "") -> None:
    emit(f"settlement.batch_{batch.status}", aggregate_id=batch.pk, payload={
        "batch_id": batch.pk, "rail": batch.rail, "currency": batch.currency_id,
        "business_date": batch.business_date.isoformat(), "status": batch.status, "from_status": from_status,
        "message_id": batch.message_id, "item_count": batch.item_count, "total_amount": str(batch.total_amount),
        "reason": reason[:500]})


def suspense_event(item: SuspenseItem, from_status: str, reason: str = "") -> None:
    emit("settlement.suspense_opened" if not from_status else "settlement.suspense_resolved", aggregate_id=item.pk,
         payload={"suspense_id": item.pk, "status": item.status, "from_status": from_status,
                  "amount": str(item.amount), "currency": item.currency_id, "reason_code": item.reason_code,
                  "creditor_iban": item.creditor_iban, "payment_id": item.payment_id, "reason": reason[:500]})


def file_event(settlement_file, summary: dict) -> None:
    emit("settlement.file_imported", aggregate_id=settlement_file.pk, payload={
        "file_id": settlement_file.pk, "kind": settlement_file.kind, "name": settlement_file.name,
        "sha256": settlement_file.sha256, "batch_id": settlement_file.batch_id,
        **{key: summary.get(key, 0) for key in ("settled", "returned", "credited", "suspense")}})

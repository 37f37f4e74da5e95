"""Automatic "model.created / model.updated / model.deleted" events for registered models.

`track(Model)` snapshots the concrete fields before and after every save and writes one event
with `before`, `after` and the sorted names of the fields that changed; a save that changes
nothing writes nothing. Many-to-many fields of the model (a user's groups and permissions, a
group's permissions) are tracked through `m2m_changed`, from either side of the relation.

Secret fields (`exclude`, plus any field whose name says it holds a secret) never leave this
module: a change shows only as `"<changed>"`. `ignore` fields are not audited at all (e.g. a
user's `last_login`, already covered by the "auth.login" event).

Not covered, by nature of Django signals: `QuerySet.update()`, `bulk_create()`,
`bulk_update()` and raw SQL. Services that change tracked data in bulk call
`services.audit_record` / `audit_record_many` themselves.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .services import audit_record, to_jsonable

logger = logging.getLogger(__name__)

CHANGED = "<changed>"
CREATED, UPDATED, DELETED = "model.created", "model.updated", "model.deleted"
_SECRET_NAME_PARTS = ("password", "secret", "token")
_PRE_STATE_ATTR = "_audit_pre_state"
_M2M_STATE_ATTR = "_audit_m2m_pre_state"


def looks_secret(field_name: str) -> bool:
    name = field_name.lower()
    return (
        any(part in name for part in _SECRET_NAME_PARTS) or name == "key" or name.endswith("_key")
    )


@dataclass(frozen=True)
class TrackedModel:
    model: type[models.Model]
    fields: tuple[models.Field, ...]  # recorded with their values
    secret_fields: tuple[models.Field, ...]  # compared, recorded only as CHANGED
    m2m_fields: tuple[models.ManyToManyField, ...]


_tracked: dict[type[models.Model], TrackedModel] = {}
# through model -> (tracked model, the many-to-many field declared on it)
_tracked_m2m: dict[type[models.Model], tuple[TrackedModel, models.ManyToManyField]] = {}


def track(
    model: type[models.Model],
    *,
    exclude: Iterable[str] = ("password",),
    ignore: Iterable[str] = (),
) -> TrackedModel:
    """Audit every create, update and delete of `model` (idempotent)."""
    from .models import AuditEvent

    model = model._meta.concrete_model
    if model is AuditEvent:
        raise ValueError("The audit trail does not audit itself.")
    exclude, ignore = set(exclude), set(ignore)
    fields, secrets = [], []
    for field in model._meta.concrete_fields:
        if field.name in ignore:
            continue
        if field.name in exclude or looks_secret(field.name):
            secrets.append(field)
        else:
            fields.append(field)
    m2m_fields = tuple(
        field
        for field in model._meta.local_many_to_many
        if field.name not in ignore and field.name not in exclude
    )
    tracked = TrackedModel(model, tuple(fields), tuple(secrets), m2m_fields)
    _tracked[model] = tracked
    for field in m2m_fields:
        _tracked_m2m[field.remote_field.through] = (tracked, field)
    _connect_receivers()
    return tracked


def untrack(model: type[models.Model]) -> None:
    tracked = _tracked.pop(model._meta.concrete_model, None)
    if tracked is not None:
        for field in tracked.m2m_fields:
            _tracked_m2m.pop(field.remote_field.through, None)


def is_tracked(model: type[models.Model]) -> bool:
    return model._meta.concrete_model in _tracked


def track_from_settings(labels: Iterable[str]) -> list[type[models.Model]]:
    """Track each "app_label.Model"; a model that is not installed is skipped with a warning,
    so a settings list can name models of optional apps."""
    tracked = []
    for label in labels:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            logger.warning("AUDIT_TRACKED_MODELS: %r is not an installed model; not tracked", label)
            continue
        track(model)
        tracked.append(model)
    return tracked


# --- snapshots --------------------------------------------------------------------------------

_UNRESOLVED = object()  # an F() expression assigned before save: the value lives in the database


def _normalize(field: models.Field, value: Any) -> Any:
    if hasattr(value, "resolve_expression"):
        return _UNRESOLVED
    if value is not None and not field.is_relation:
        try:
            value = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            pass
    if isinstance(value, decimal.Decimal) and value.is_finite():
        places = getattr(field, "decimal_places", None)
        if places is not None:
            value = value.quantize(decimal.Decimal(1).scaleb(-places))
    return to_jsonable(value)


def _snapshot(tracked: TrackedModel, values: dict[str, Any]) -> tuple[dict, dict]:
    """(public values by field name, secret raw values by field name) from attname -> value."""
    public = {f.name: _normalize(f, values[f.attname]) for f in tracked.fields}
    secret = {f.name: values[f.attname] for f in tracked.secret_fields}
    return public, secret


def _instance_values(tracked: TrackedModel, instance: models.Model) -> dict[str, Any]:
    return {
        f.attname: f.value_from_object(instance) for f in tracked.fields + tracked.secret_fields
    }


def _database_values(tracked: TrackedModel, pk, using: str, attnames=None) -> dict | None:
    attnames = attnames or [f.attname for f in tracked.fields + tracked.secret_fields]
    return tracked.model._base_manager.using(using).filter(pk=pk).values(*attnames).first()


def _object_repr(instance: models.Model) -> str:
    try:
        return str(instance)
    except Exception:  # a __str__ that follows a relation deleted in the same cascade
        return f"{instance._meta.label_lower} #{instance.pk}"


# --- receivers --------------------------------------------------------------------------------


def _tracked_for(sender) -> TrackedModel | None:
    meta = getattr(sender, "_meta", None)
    return _tracked.get(meta.concrete_model) if meta is not None else None


def _on_pre_save(sender, instance, raw=False, using="default", **kwargs):
    tracked = _tracked_for(sender)
    if tracked is None or raw:
        return
    state = None
    pk_has_default = instance._meta.pk.has_default() or instance._meta.pk.db_default is not None
    if instance.pk is not None and not (instance._state.adding and pk_has_default):
        row = _database_values(tracked, instance.pk, using)
        if row is not None:
            state = _snapshot(tracked, row)
    instance.__dict__[_PRE_STATE_ATTR] = state


def _on_post_save(
    sender, instance, created, raw=False, using="default", update_fields=None, **kwargs
):
    tracked = _tracked_for(sender)
    state = instance.__dict__.pop(_PRE_STATE_ATTR, None)
    if tracked is None or raw:
        return
    after, after_secret = _snapshot(tracked, _instance_values(tracked, instance))
    unresolved = [f for f in tracked.fields if after[f.name] is _UNRESOLVED]
    if unresolved:
        row = _database_values(tracked, instance.pk, using, [f.attname for f in unresolved])
        after.update({f.name: _normalize(f, row[f.attname]) for f in unresolved})

    if created or state is None:
        # `state is None` without `created`: the row was not there before the save (or tracking
        # started in between); record what is known rather than nothing.
        for name, value in after_secret.items():
            if value not in (None, ""):
                after[name] = CHANGED
        action = CREATED if created else UPDATED
        audit_record(action=action, obj=instance, after=after, changes=after.keys())
        return

    before, before_secret = state
    if update_fields is not None:
        # Only these columns were written; the rest of the instance may be stale.
        written = set(update_fields)
        for f in tracked.fields + tracked.secret_fields:
            if f.name not in written and f.attname not in written:
                if f.name in after:
                    after[f.name] = before[f.name]
                else:
                    after_secret[f.name] = before_secret[f.name]
    changes = [name for name in after if after[name] != before[name]]
    for name, value in after_secret.items():
        if value != before_secret[name]:
            after[name] = CHANGED
            changes.append(name)
    if changes:
        audit_record(action=UPDATED, obj=instance, before=before, after=after, changes=changes)


def _on_post_delete(sender, instance, using="default", **kwargs):
    tracked = _tracked_for(sender)
    if tracked is None:
        return
    before, _secret = _snapshot(tracked, _instance_values(tracked, instance))
    before = {name: value for name, value in before.items() if value is not _UNRESOLVED}
    audit_record(
        action=DELETED,
        obj=instance,
        object_repr=_object_repr(instance),
        before=before,
        changes=before.keys(),
    )


def _related_ids(field: models.ManyToManyField, owner_pks: Iterable, using: str) -> dict:
    """owner pk -> sorted pks of related objects, straight from the through table."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    owner_pks = list(owner_pks)
    related: dict[Any, list] = {pk: [] for pk in owner_pks}
    rows = through._base_manager.using(using).filter(**{f"{source}__in": owner_pks})
    for owner_pk, related_pk in rows.values_list(source, target):
        related[owner_pk].append(related_pk)
    return {pk: sorted(ids) for pk, ids in related.items()}


def _on_m2m_changed(sender, instance, action, reverse, model, pk_set, using="default", **kwargs):
    registered = _tracked_m2m.get(sender)
    if registered is None:
        return
    tracked, field = registered
    pending = instance.__dict__.setdefault(_M2M_STATE_ATTR, {})
    if action.startswith("pre_"):
        if not reverse:
            owner_pks = [instance.pk]
        elif pk_set is not None:
            owner_pks = sorted(pk_set)
        else:  # clearing from the reverse side: every owner related to `instance`
            through = field.remote_field.through
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            source = through._meta.get_field(field.m2m_field_name()).attname
            owner_pks = sorted(
                through._base_manager.using(using)
                .filter(**{target: instance.pk})
                .values_list(source, flat=True)
            )
        pending[sender] = (owner_pks, _related_ids(field, owner_pks, using))
        return
    if not action.startswith("post_") or sender not in pending:
        return
    owner_pks, before = pending.pop(sender)
    after = _related_ids(field, owner_pks, using)
    changed = [pk for pk in owner_pks if before[pk] != after[pk]]
    if not changed:
        return
    owners = (
        {instance.pk: instance}
        if not reverse
        else tracked.model._base_manager.using(using).in_bulk(changed)
    )
    for pk in changed:
        audit_record(
            action=UPDATED,
            obj=owners.get(pk),
            object_type=tracked.model._meta.label_lower,
            object_id=pk,
            before={field.name: before[pk]},
            after={field.name: after[pk]},
            changes=[field.name],
        )


_connected = False


def _connect_receivers() -> None:
    # Connected once, for every sender: a dictionary lookup per save is cheaper than one
    # receiver per model, and it also catches saves through proxy models.
    global _connected
    if _connected:
        return
    pre_save.connect(_on_pre_save, dispatch_uid="audit.tracking.pre_save")
    post_save.connect(_on_post_save, dispatch_uid="audit.tracking.post_save")
    post_delete.connect(_on_post_delete, dispatch_uid="audit.tracking.post_delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="audit.tracking.m2m_changed")
    _connected = True

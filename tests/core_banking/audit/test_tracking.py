"""Tracked models write model.created / model.updated / model.deleted with exact snapshots."""

import pytest
from django.contrib.auth.models import Group, Permission

from core_banking.audit import tracking
from core_banking.audit.context import acting

pytestmark = pytest.mark.django_db


def test_creating_updating_and_deleting_a_group(new_events, django_user_model):
    admin = django_user_model.objects.create_user("admin1", password="a-long-enough-password")
    with acting(actor_id=admin.pk, actor_repr="admin1", request_id="r1", channel="web"):
        group = Group.objects.create(name="Tellers")
        group_id = group.pk
        group.name = "Senior tellers"
        group.save()
        group.delete()

    created, updated, deleted = new_events(object_type="auth.group")
    assert (created.action, created.before, created.after, created.changes) == (
        "model.created",
        None,
        {"id": group_id, "name": "Tellers"},
        ["id", "name"],
    )
    assert (updated.action, updated.before, updated.after, updated.changes) == (
        "model.updated",
        {"id": group_id, "name": "Tellers"},
        {"id": group_id, "name": "Senior tellers"},
        ["name"],
    )
    assert (deleted.action, deleted.before, deleted.after, deleted.object_repr) == (
        "model.deleted",
        {"id": group_id, "name": "Senior tellers"},
        None,
        "Senior tellers",
    )
    assert {(e.object_id, e.actor_id, e.request_id) for e in (created, updated, deleted)} == {
        (str(group_id), admin.pk, "r1")
    }


def test_a_save_that_changes_nothing_writes_nothing(new_events):
    group = Group.objects.create(name="Tellers")
    after_create = len(new_events())

    group.save()
    Group.objects.get(pk=group.pk).save()

    assert len(new_events()) == after_create


def test_a_user_is_recorded_without_the_password(new_events, django_user_model):
    user = django_user_model.objects.create_user(
        "alice", "alice@example.com", "first-password-1234"
    )

    [created] = new_events(object_type="auth.user", object_id=str(user.pk))
    assert created.after == {
        "id": user.pk,
        "username": "alice",
        "first_name": "",
        "last_name": "",
        "email": "alice@example.com",
        "is_staff": False,
        "is_active": True,
        "is_superuser": False,
        "date_joined": created.after["date_joined"],
        "password": "<changed>",
    }
    assert created.after["date_joined"].endswith("+00:00")
    assert created.changes == sorted(created.after)

    user.set_password("second-password-5678")
    user.email = "alice@bank.example"
    user.save()

    [_, updated] = new_events(object_type="auth.user", object_id=str(user.pk))
    assert updated.changes == ["email", "password"]
    assert "password" not in updated.before
    assert updated.before["email"] == "alice@example.com"
    assert updated.after["email"] == "alice@bank.example"
    assert updated.after["password"] == "<changed>"
    every_value = repr([(e.before, e.after) for e in new_events()])
    assert "pbkdf2" not in every_value and "md5" not in every_value
    assert "first-password" not in every_value and "second-password" not in every_value


def test_only_the_fields_in_update_fields_are_compared(new_events, django_user_model):
    user = django_user_model.objects.create_user(
        "frank", "frank@example.com", "a-long-enough-password"
    )
    # Someone else changes the e-mail; this instance is now stale on that field.
    django_user_model.objects.filter(pk=user.pk).update(email="frank@bank.example")

    user.first_name = "Frank"
    user.save(update_fields=["first_name"])

    updated = new_events(object_type="auth.user", action="model.updated")[-1]
    assert updated.changes == ["first_name"]
    assert (updated.before["first_name"], updated.after["first_name"]) == ("", "Frank")
    assert updated.before["email"] == updated.after["email"] == "frank@bank.example"


def test_last_login_alone_is_not_an_event(new_events, django_user_model):
    from django.utils import timezone

    user = django_user_model.objects.create_user("bob", password="a-long-enough-password")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    assert [e.action for e in new_events(object_type="auth.user")] == ["model.created"]


def test_group_membership_and_permissions_are_tracked_from_both_sides(
    new_events, django_user_model
):
    user = django_user_model.objects.create_user("carol", password="a-long-enough-password")
    tellers = Group.objects.create(name="Tellers")
    auditors = Group.objects.create(name="Auditors")
    view_event = Permission.objects.get(codename="view_auditevent")

    user.groups.add(tellers)
    auditors.user_set.add(user)
    user.groups.remove(tellers)
    tellers.permissions.add(view_event)
    user.groups.add(auditors)  # already a member: nothing changes

    updates = new_events(action="model.updated")
    assert [(e.object_type, e.object_id, e.before, e.after, e.changes) for e in updates] == [
        ("auth.user", str(user.pk), {"groups": []}, {"groups": [tellers.pk]}, ["groups"]),
        (
            "auth.user",
            str(user.pk),
            {"groups": [tellers.pk]},
            {"groups": sorted([tellers.pk, auditors.pk])},
            ["groups"],
        ),
        (
            "auth.user",
            str(user.pk),
            {"groups": sorted([tellers.pk, auditors.pk])},
            {"groups": [auditors.pk]},
            ["groups"],
        ),
        (
            "auth.group",
            str(tellers.pk),
            {"permissions": []},
            {"permissions": [view_event.pk]},
            ["permissions"],
        ),
    ]
    assert updates[1].object_repr == "carol"


def test_clearing_from_the_reverse_side_records_each_member(new_events, django_user_model):
    first = django_user_model.objects.create_user("dan", password="a-long-enough-password")
    second = django_user_model.objects.create_user("eve", password="a-long-enough-password")
    tellers = Group.objects.create(name="Tellers")
    tellers.user_set.add(first, second)
    already = len(new_events())

    tellers.user_set.clear()

    cleared = new_events()[already:]
    assert sorted((e.object_id, e.before, e.after) for e in cleared) == sorted(
        [
            (str(first.pk), {"groups": [tellers.pk]}, {"groups": []}),
            (str(second.pk), {"groups": [tellers.pk]}, {"groups": []}),
        ]
    )


def test_settings_may_name_models_that_are_not_installed(caplog):
    tracked = tracking.track_from_settings(["nosuchapp.Thing", "not-a-label", "auth.Group"])

    assert tracked == [Group]
    assert "'nosuchapp.Thing' is not an installed model" in caplog.text
    assert "'not-a-label' is not an installed model" in caplog.text


def test_fields_that_look_secret_are_never_recorded():
    assert tracking.looks_secret("secret_hash")
    assert tracking.looks_secret("token_prefix")
    assert tracking.looks_secret("key")
    assert tracking.looks_secret("signing_key")
    assert not tracking.looks_secret("name")
    assert not tracking.looks_secret("keyword")

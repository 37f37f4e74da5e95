"""Keep each team's permission group in step with its members, however the members change
(services, the admin's member picker, ``team.members.add`` in a shell)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import Team


@receiver(m2m_changed, sender=Team.members.through, dispatch_uid="tickets.team_members_to_group")
def _team_members_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if reverse:  # user.ticket_teams.add(team, ...): instance is the user, pk_set the teams
        teams = Team.objects.filter(pk__in=pk_set or ()).select_related("group")
        if action == "post_add":
            instance.groups.add(*(team.group for team in teams))
        elif action == "post_remove":
            instance.groups.remove(*(team.group for team in teams))
        elif action == "pre_clear":
            instance.groups.remove(*(team.group for team in Team.objects.filter(members=instance)))
        return
    if action == "post_add":
        instance.group.user_set.add(*pk_set)
    elif action == "post_remove":
        instance.group.user_set.remove(*pk_set)
    elif action == "pre_clear":
        instance.group.user_set.clear()

"""Django's model permission backend with each person's permission set cached per process until a
permission, a group's permissions or a person's groups change (the ``permissions`` generation of
``core_banking.config.cache``; the triggers are in migration 0005). Every API request checks the
caller's permissions; without the cache that is two queries per request, with it one small read
of the generation (none for an API client: its token's look-up reads it along). Superusers,
inactive users and object permissions take Django's own path."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from core_banking.config import cache

PERMISSIONS = "permissions"  # the configuration domain
# Set on a user by a read that also took the permissions' generation (the API token's look-up,
# ``backoffice.api_clients.selectors``): the permission check then reads no generation of its own.
GENERATION_READ = "_permissions_generation"


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = cache.get(
                PERMISSIONS, f"user:{user_obj.pk}",
                lambda: frozenset({*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj)}),
                generation=getattr(user_obj, GENERATION_READ, None))
        return user_obj._perm_cache

"""The authorization matrix's machinery: enumerate the API routes and the admin's models and
actions from the running code, build URLs that name nothing, send one request and classify the
answer as past the door or refused at it (see ``table.py`` for the table these are checked
against)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backoffice.staff.roles import ROLE_NAMES, ROLE_PERMISSIONS

#: An id no object has (URLs name it; an allowed request answers 404 and writes nothing).
MISSING_ID = 999_999_999
MISSING_PREFIX = "nosuchpx"
METHODS = ("get", "post", "put", "patch", "delete")
ALL = "*"  # a door that lets every role (and anyone) through: AllowAny views

ALLOWED, REFUSED = "allowed", "refused"


@dataclass(frozen=True)
class Route:
    route: str  # the route string from the resolver: the table's key
    name: str  # the namespaced URL name (not unique without the namespace)
    pattern: URLPattern
    view_class: type | None

    @property
    def methods(self) -> tuple[str, ...]:
        """The HTTP methods the view class implements among get/post/put/patch/delete."""
        view = self.view_class
        if view is None:
            return ("GET",)
        return tuple(m.upper() for m in METHODS if callable(getattr(view, m, None)))

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(getattr(self.view_class, "required_scopes", None) or ())

    def urls(self) -> list[str]:
        """Concrete URLs for the route: every id is MISSING_ID; an alternation (the account
        transitions' ``action``) gives one URL per alternative."""
        regex = self.pattern.pattern.regex.pattern
        converters = getattr(self.pattern.pattern, "converters", {})
        choices: dict[str, list] = {}
        for keyword in self.pattern.pattern.regex.groupindex:
            converter = converters.get(keyword)
            if converter is not None:
                choices[keyword] = [MISSING_ID if converter.regex == "[0-9]+" else MISSING_PREFIX]
                continue
            group = re.search(rf"\(\?P<{keyword}>([^)]*)\)", regex)
            body = group.group(1) if group else "[0-9]+"
            if "|" in body and re.fullmatch(r"[\w|-]+", body):
                choices[keyword] = body.split("|")
            else:
                choices[keyword] = [MISSING_ID]
        combos: list[dict] = [{}]
        for keyword, values in choices.items():
            combos = [{**combo, keyword: value} for combo in combos for value in values]
        return [reverse(self.name, kwargs=combo) for combo in combos]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}", entry


@cache
def api_routes() -> tuple[Route, ...]:
    """Every URL pattern under /api/ (the versioned API and its schema and docs pages)."""
    routes = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            routes.append(Route(route=route, name=name, pattern=pattern,
                                view_class=getattr(pattern.callback, "view_class", None)))
    return tuple(routes)


def api_route_methods() -> dict[tuple[str, str], Route]:
    return {(route.route, method): route for route in api_routes() for method in route.methods}


# --- the door as the code declares it (used once to write the first table) ------------------------


def declared_door(route: Route, method: str) -> set[str] | str:
    """The roles whose permissions satisfy the view's permission classes for `method`, computed
    from the role catalogue (``ROLE_PERMISSIONS``) without a database; ALL for AllowAny."""
    from rest_framework.permissions import AllowAny

    from core_banking.common.api.permissions import RequiresPermissions

    view = route.view_class
    classes = list(getattr(view, "permission_classes", ()))
    if any(cls is AllowAny for cls in classes):
        return ALL
    required: list[str] = []
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, RequiresPermissions):
            declared = cls.perms or getattr(view, "required_perms", ())
            if isinstance(declared, dict):
                if method not in declared:
                    return set()  # implemented but not declared: fail closed
                required.extend(declared[method])
            else:
                required.extend(declared)
    return {role for role in ROLE_NAMES if set(required) <= set(ROLE_PERMISSIONS[role])}


# --- one request, classified ------------------------------------------------------------------


def send(api, method: str, url: str):
    """One request that writes nothing when allowed: an empty JSON body (with an idempotency key)
    for writes, a bare GET for reads."""
    method = method.lower()
    if method in ("post", "put", "patch", "delete"):
        return getattr(api, method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"authz-{uuid.uuid4().hex}")
    return api.get(url)


def problem_code(response) -> str | None:
    if "json" not in response.get("Content-Type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def verdict(response) -> str:
    """ALLOWED: past the door (any answer but 401, a 403 ``permission_denied`` or a crash: a 404
    for the missing id, 400/415/422 for the empty body, 202, 409, a 403 with a service's own code
    such as ``initiation_forbidden``). REFUSED: 403 ``permission_denied``. Anything else is
    reported as it is (e.g. ``401 not_authenticated``, ``500 internal_error``)."""
    status = response.status_code
    code = problem_code(response)
    if status == 403 and code == "permission_denied":
        return REFUSED
    if status == 401 or status >= 500:
        return f"{status} {code}"
    return ALLOWED


# --- the admin ----------------------------------------------------------------------------------


def admin_site():
    from django.contrib import admin

    return admin.site


def admin_models() -> dict[str, object]:
    """``app_label.model`` -> its ModelAdmin, for every model registered in the admin site."""
    return {model._meta.label_lower: model_admin
            for model, model_admin in sorted(admin_site()._registry.items(), key=lambda kv: kv[0]._meta.label_lower)}


def changelist_url(label: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def offered_actions(label: str, user) -> set[str]:
    """The actions ``get_actions`` offers `user` on the model's changelist."""
    from django.test import RequestFactory

    request = RequestFactory().get(changelist_url(label))
    request.user = user
    return set(admin_models()[label].get_actions(request))


def admin_action_rows(superuser) -> set[tuple[str, str]]:
    """(app_label.model, action) for every action the admin offers a superuser (who holds every
    permission): all of them, less ``delete_selected`` where a model admin takes it away."""
    return {(label, action) for label in admin_models() for action in offered_actions(label, superuser)}

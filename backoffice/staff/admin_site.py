"""The Django admin as a staff tool: active staff who passed the second factor, nobody else.

What the site adds to the stock admin, for every ModelAdmin at once:

* money, percentages and rates shown by ``core_banking.common.money_display``
  (``admin_money.install`` and the ``MoneyFormMixin`` given to every registered admin and inline);
* no link to a page the viewer may not open: a read-only foreign key is a link only when the
  viewer may view (or change) the target (``AdminReadonlyField.get_admin_url``, below), and so
  are the chosen row and the look-up magnifier of a raw-id input (``ForeignKeyRawIdWidget``);
* the signed-in person's name and roles in the header, and a home page with the queues and
  figures of their roles (``admin_home.panels_for``).
"""

from __future__ import annotations

from functools import update_wrapper
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin import helpers, widgets
from django.http import HttpResponseRedirect
from django.urls import reverse

from core_banking.common import money_display
from core_banking.common.admin_filters import in_use_filters
from core_banking.common.admin_request import current_request, reset_request, set_request

from . import admin_money
from .constraint_messages import humane
from .two_factor import two_factor_satisfied


class StaffFormsMixin(admin_money.MoneyFormMixin):
    """Given to every registered ModelAdmin and inline: decimal inputs without trailing zeros, fee
    percentages typed as percentages, constraint errors in words (``constraint_messages``) and
    currency filters listing only the currencies in use (``core_banking.common.admin_filters``)."""

    def get_form(self, request, obj=None, *args, **kwargs):
        return humane(super().get_form(request, obj, *args, **kwargs))

    def get_list_filter(self, request):
        return in_use_filters(self.model, super().get_list_filter(request))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = humane(formset.form)
        return formset


def _with_money_forms(admin_class):
    """``admin_class`` (and its inlines) with ``StaffFormsMixin`` in front, once."""
    if issubclass(admin_class, StaffFormsMixin):
        return admin_class
    attrs = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__,
             "__doc__": admin_class.__doc__}
    inlines = getattr(admin_class, "inlines", None)
    if inlines:
        attrs["inlines"] = [_with_money_forms(inline) for inline in inlines]
    return type(admin_class.__name__, (StaffFormsMixin, admin_class), attrs)


_original_get_admin_url = helpers.AdminReadonlyField.get_admin_url


def _get_admin_url(self, remote_field, remote_obj):
    """A read-only foreign key: a link only if the viewer may open the target, else its name."""
    request = current_request()
    if request is not None:
        target_admin = self.model_admin.admin_site._registry.get(remote_field.model) if self.model_admin else None
        if target_admin is None or not target_admin.has_view_or_change_permission(request, remote_obj):
            return str(remote_obj)
    return _original_get_admin_url(self, remote_field, remote_obj)


_original_raw_id_context = widgets.ForeignKeyRawIdWidget.get_context


def _may_open_target(admin_site, request, model, obj=None) -> bool:
    target_admin = admin_site._registry.get(model)
    return target_admin is not None and target_admin.has_view_or_change_permission(request, obj)


def _raw_id_context(self, name, value, attrs):
    """A raw-id input of an editable form (``raw_id_fields``): the chosen row's name is a link,
    and the magnifier a link to the look-up list, only if the viewer may open them (the same rule
    as a read-only foreign key, ``_get_admin_url``); otherwise the name alone, no magnifier."""
    context = _original_raw_id_context(self, name, value, attrs)
    request = current_request()
    if request is None:
        return context
    if context.get("related_url") and not _may_open_target(self.admin_site, request, self.rel.model):
        context["related_url"] = None
    if context.get("link_url"):
        key = self.rel.get_related_field().name
        obj = self.rel.model._default_manager.using(self.db).filter(**{key: value}).first()
        if obj is None or not _may_open_target(self.admin_site, request, self.rel.model, obj):
            context["link_url"] = ""
    return context


class StaffAdminSite(admin.AdminSite):
    site_header = "Core Bank back office"
    site_title = "Back office"
    index_title = "Your work"
    site_url = "/staff/"
    index_template = "admin/staff_index.html"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        admin_money.install()
        helpers.AdminReadonlyField.get_admin_url = _get_admin_url
        widgets.ForeignKeyRawIdWidget.get_context = _raw_id_context

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = _with_money_forms(admin_class or admin.ModelAdmin)
        return super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and two_factor_satisfied(user))

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            token = set_request(request)
            money_display.exponents_forget()
            try:
                response = wrapped(request, *args, **kwargs)
                # Rendered here, so that the page's links are checked against this request.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response
            finally:
                reset_request(token)

        return update_wrapper(inner, wrapped)

    def each_context(self, request):
        from .admin_home import person_label

        context = super().each_context(request)
        context["staff_person"] = person_label(request.user)
        return context

    def index(self, request, extra_context=None):
        from .admin_home import panels_for

        extra_context = {**(extra_context or {}), "role_panels": panels_for(request)}
        return super().index(request, extra_context)

    def login(self, request, extra_context=None):
        """One login flow for the whole back office: the staff login, then its 2FA step."""
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        return HttpResponseRedirect(f"{reverse('staff:login')}?{urlencode({'next': target})}")

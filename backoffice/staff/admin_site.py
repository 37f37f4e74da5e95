"""The Django admin as a staff tool: active staff who passed the second factor, nobody else."""

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from .two_factor import two_factor_satisfied


class StaffAdminSite(admin.AdminSite):
    site_header = "Core Bank back office"
    site_title = "Back office"
    index_title = "Administration"
    site_url = "/staff/"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and two_factor_satisfied(user))

    def login(self, request, extra_context=None):
        """One login flow for the whole back office: the staff login, then its 2FA step."""
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        return HttpResponseRedirect(f"{reverse('staff:login')}?{urlencode({'next': target})}")

"""Staff sign-in: password first (Django's `authenticate`, so axes throttles it), then the second
factor: a code from the authenticator app (or a backup code), or enrolment of a first app.

The password step logs the user in; until the second step succeeds the middleware keeps them
out of the admin and the staff pages, and the API refuses their session.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from core_banking.common.errors import DomainError

from . import two_factor
from .forms import EnrolmentTokenForm, StaffLoginForm, TokenForm
from .roles import roles_of


def _next_url(request: HttpRequest) -> str:
    """The `next` target if it is on this site, else the default landing page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _second_factor_step(user, next_url: str) -> HttpResponseRedirect:
    if two_factor.two_factor_satisfied(user):
        return HttpResponseRedirect(next_url)
    step = "staff:verify" if two_factor.has_confirmed_totp_device(user) else "staff:enrol"
    return HttpResponseRedirect(_with_next(step, next_url))


def _mark_verified(request: HttpRequest, device) -> None:
    # The session gains privileges: give it a new key, as Django does at login.
    request.session.cycle_key()
    otp_login(request, device)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "POST":
        form = StaffLoginForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            auth_login(request, user)
            return _second_factor_step(request.user, next_url)
    else:
        if request.user.is_authenticated and request.user.is_staff:
            if not two_factor.two_factor_satisfied(request.user):
                return _second_factor_step(request.user, next_url)
        form = StaffLoginForm(request)
    return render(request, "staff/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request)
    if two_factor.two_factor_satisfied(user):
        return HttpResponseRedirect(next_url)
    if not two_factor.has_confirmed_totp_device(user):
        return HttpResponseRedirect(_with_next("staff:enrol", next_url))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.token_verify(user=user, token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.detail)
        else:
            _mark_verified(request, device)
            return HttpResponseRedirect(next_url)
    return render(request, "staff/verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request)
    if not user.is_staff:
        raise PermissionDenied
    if two_factor.has_confirmed_totp_device(user):
        # Replacing an authenticator needs the old one (or an administrator), never a password.
        return HttpResponseRedirect(_with_next("staff:verify", next_url))
    device = two_factor.enrolment_device_get_or_create(user=user)
    form = EnrolmentTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.enrolment_confirm(user=user, token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.detail)
        else:
            _mark_verified(request, device)
            # Shown in this response only: the codes are never displayed again.
            return render(request, "staff/backup_codes.html", {"codes": codes, "next": next_url})
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": two_factor.otpauth_qr_svg(device.config_url),
        "secret": two_factor.readable_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "staff/enrol.html", context)


@never_cache
@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied
    from .admin_home import panels_for, person_label

    context = {
        "roles": roles_of(request.user),
        "verified": two_factor.is_verified(request.user),
        "exempt": two_factor.is_exempt_demo_account(request.user),
        # The role's landing: the same panels as the admin's index (admin_home.PANELS).
        "role_panels": panels_for(request) if two_factor.two_factor_satisfied(request.user) else [],
        "person": person_label(request.user),
    }
    return render(request, "staff/home.html", context)

import pytest
from django.contrib.auth.models import Permission

from core_banking.audit.models import AuditEvent
from tests.core_banking.api_auth import sign_in


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        "root", "root@example.com", "a-long-enough-password"
    )


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        "clerk", "clerk@example.com", "a-long-enough-password", is_staff=True
    )


@pytest.fixture
def auditor(django_user_model):
    user = django_user_model.objects.create_user(
        "auditor", "auditor@example.com", "a-long-enough-password", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


@pytest.fixture
def login_with_second_factor(client):
    """Sign `user` in as a staff member who has passed 2FA (under the full settings: a confirmed
    django-otp device whose id is in the session is what OTPMiddleware turns into
    `user.is_verified()`; in the engine run, Django's admin asks for no second factor: a session)."""

    def login(user):
        return sign_in(client, user)

    return login


@pytest.fixture
def new_events():
    """Events appended after this point: `new_events()` returns them oldest first."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def events(**filters):
        return list(AuditEvent.objects.filter(id__gt=last, **filters).order_by("id"))

    return events

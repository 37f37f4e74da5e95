import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .factories import StaffUserFactory


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture
def totp_device(staff_user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)


def current_token(device: TOTPDevice) -> str:
    """The code the staff member's app shows right now (RFC 6238, the device's own settings)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


# --- the staff pages of issue 9 (pages_world.py) ----------------------------------------------------


@pytest.fixture
def people(db):
    from .pages_world import make_people

    return make_people()


@pytest.fixture
def world(people):
    from .pages_world import make_world

    return make_world(people)


@pytest.fixture
def signed_in(client):
    """``signed_in(user)``: a test client whose session passed the second factor."""
    from tests.core_banking.ledger.interfaces import sign_in

    def make(user):
        return sign_in(type(client)(), user)

    return make

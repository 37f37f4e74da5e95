"""The business date's public faces: readers never write, writers open the day (issue 20)."""

import pytest
from django.utils import timezone

from core_banking.ledger.models import BusinessDay
from core_banking.ledger.selectors import business_date_current
from core_banking.ledger.services import business_date_open

pytestmark = pytest.mark.django_db


def test_reading_the_business_date_writes_nothing_and_opening_it_does():
    BusinessDay.objects.all().delete()

    assert business_date_current() == timezone.localdate()
    assert not BusinessDay.objects.exists()

    opened = business_date_open()
    assert opened == timezone.localdate() and BusinessDay.objects.filter(date=opened, closed_at=None).exists()
    assert business_date_current() == opened


@pytest.mark.backoffice
def test_the_limits_allowance_get_writes_no_business_day():
    """A GET used to open the business day through the engine's writer."""
    from tests import banking
    from tests.core_banking.ledger.interfaces import staff_api, staff_user

    bank = banking.setup_bank()
    account = banking.account(banking.customer(first_name="Ada", last_name="Lovelace"), banking.product(bank))
    BusinessDay.objects.all().delete()

    response = staff_api(staff_user("operations")).get(f"/api/v1/limits/accounts/{account.pk}/allowance/")

    assert response.status_code == 200, response.content
    assert not BusinessDay.objects.exists()

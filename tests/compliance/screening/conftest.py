import pytest

from compliance.screening import demo, matching


@pytest.fixture
def sample(db):
    """The sample sanctions list, loaded as the list SAMPLE (no rescreen)."""
    version = demo.load_sample()
    matching.invalidate()
    return version


@pytest.fixture
def hook(settings):
    settings.KYC_SCREENING_HOOK = "compliance.screening.hook.screen"
    settings.COMPLIANCE_SCREENING_MATCH = 92
    settings.COMPLIANCE_SCREENING_POSSIBLE = 80

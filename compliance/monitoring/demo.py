"""Demo data: the default monitoring rules (``seed.seed``); for ``DEMO_DATA_LOADERS``."""

from .seed import seed


def load_demo(stdout=None) -> None:
    seed(stdout=stdout)

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.production")
application = get_asgi_application()

from core_banking.common.runtime import load_and_freeze  # noqa: E402 (needs the settings above)

load_and_freeze()  # the loaded application out of the garbage collector's walks (runtime.py)

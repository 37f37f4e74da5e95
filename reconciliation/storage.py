"""The private storage of original statement files (``STORAGES["reconciliation"]``): never under
MEDIA or static; only the API streams a file to who may see it.

``StatementStorage`` resolves the alias at every call (not once when the model class is built),
so a settings override (tests, a deployment hook) applies to the model field as well."""

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages


def _target() -> Storage:
    return storages["reconciliation"] if "reconciliation" in settings.STORAGES else default_storage


class StatementStorage(Storage):
    def open(self, name, mode="rb"):
        return _target().open(name, mode)

    def save(self, name, content, max_length=None):
        return _target().save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return _target().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return _target().get_available_name(name, max_length=max_length)

    def delete(self, name):
        return _target().delete(name)

    def exists(self, name):
        return _target().exists(name)

    def size(self, name):
        return _target().size(name)

    def path(self, name):
        return _target().path(name)

    def url(self, name):
        return _target().url(name)

    def listdir(self, path):
        return _target().listdir(path)


_STORAGE = StatementStorage()


def statement_storage() -> Storage:
    return _STORAGE

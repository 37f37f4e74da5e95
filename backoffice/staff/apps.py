from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "backoffice.staff"
    label = "staff"
    verbose_name = "Staff and roles"

import factory
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-staple"


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    is_active = True
    password = factory.django.Password(PASSWORD)

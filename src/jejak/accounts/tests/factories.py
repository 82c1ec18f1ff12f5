import factory
from django.conf import settings

from jejak.accounts.models import User
from jejak.accounts.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    role = Role.CITY_ADMIN
    password = factory.django.Password("test-password-123")
    # Accounts have accepted the current privacy notice, also where a served process
    # (without the test's fixtures) checks it; tests of the notice pass their own.
    privacy_notice_version = factory.LazyFunction(lambda: settings.JEJAK_PRIVACY_NOTICE_VERSION)

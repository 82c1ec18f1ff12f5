import factory

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

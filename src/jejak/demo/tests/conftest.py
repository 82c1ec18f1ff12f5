import pytest
from django.core.management import call_command

from jejak.regions.models import Region


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    # Building the demo issues 339 signed codes and two weeks of check-ins: do it once
    # for the package's modules.
    with django_db_blocker.unblock():
        call_command("demo", "--reset")
        yield
        from jejak.demo.builder import reset

        reset()
        # Leave the database as other modules expect it: no regions either.
        for level in ("village", "district", "regency", "province"):
            Region.objects.filter(level=level).delete()


@pytest.fixture
def db_with_demo(demo, db):
    return None

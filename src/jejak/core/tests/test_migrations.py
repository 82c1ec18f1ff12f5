"""The models and the migrations agree: a model change without its migration fails here
(the outage gate builds its tables from the models, so it would not notice)."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)

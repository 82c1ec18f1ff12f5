from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.accounts import second_factor
from jejak.accounts.models import User
from jejak.audit import service as audit


class Command(BaseCommand):
    help = (
        "Remove USERNAME's second factors (a lost phone): they enrol a new authenticator "
        "app at their next sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = second_factor.reset(user)
        audit.record(actor=None, action="staff.second_factor_reset", obj=user, devices=removed)
        self.stdout.write(f"Removed {removed} second-factor device(s) of {username}.")

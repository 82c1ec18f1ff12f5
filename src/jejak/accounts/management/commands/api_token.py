from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.accounts.models import ApiToken, User
from jejak.audit import service as audit


class Command(BaseCommand):
    help = "Create a bearer token for an API client acting as USERNAME (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        token, raw = ApiToken.issue(user=user, name=name)
        audit.record(actor=None, action="api_token.create", obj=token, user=username, name=name)
        self.stdout.write(raw)

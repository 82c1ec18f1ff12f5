import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.demo import builder


class Command(BaseCommand):
    help = (
        "Build the Kota Tangerang demo: 13 kecamatan, 12 sectors, 339 issued QR codes, staff, "
        "and two weeks of residents' check-ins and tracing cases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="delete existing venue data first")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when venues already exist"
        )

    def handle(self, *args: Any, reset: bool, if_empty: bool, **options: Any) -> None:
        if if_empty and not builder.is_empty():
            self.stdout.write("Demo not loaded: the database already has venues.")
            return
        if reset:
            builder.reset()
        elif not builder.is_empty():
            raise CommandError("The database already has venues; use --reset to rebuild the demo.")
        started = time.monotonic()
        result = builder.build()
        self.stdout.write(
            f"Demo built in {time.monotonic() - started:.1f}s: {result['venues']} venues, "
            "339 QR codes issued in Kota Tangerang."
        )
        a = result["activity"]
        self.stdout.write(
            f"The last {a['days']} days: {a['checkins']} check-ins ({a['denied']} refused) by "
            f"{a['people']} residents on {a['accounts']} accounts, {a['inside_now']} inside "
            f"now; {a['cases']} tracing cases with {a['contacts']} contacts."
        )
        self.stdout.write("Demo logins (for local use only; set JEJAK_DEMO_PASSWORD to change):")
        for username, role, _name, _scope in result["accounts"]:
            self.stdout.write(f"  {username:<18} {role:<20} password: {result['password']}")
        self.stdout.write("Demo citizens sign in at /masuk/ with these numbers (the code is sent")
        self.stdout.write("through JEJAK_SMS_BACKEND; the default console backend prints it):")
        for citizen in result["citizens"]:
            self.stdout.write(f"  {citizen['phone']}  {citizen['name']:<14} {citizen['colour']}")

"""The `jejak` console script: Django's management commands with Jejak's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jejak.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jejak", *sys.argv[1:]])


if __name__ == "__main__":
    main()

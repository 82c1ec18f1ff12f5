"""The `jejak` console script: Django's management commands with Jejak's settings.

Commands may be spelled with hyphens (`jejak import-venues`), as the docs do; Django's
own names use underscores.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jejak.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")
    execute_from_command_line(["jejak", *argv])


if __name__ == "__main__":
    main()

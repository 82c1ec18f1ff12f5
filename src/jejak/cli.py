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
    # The command name, and the one after `help`, may be spelled with hyphens.
    for i in (0, 1) if argv[:1] == ["help"] else (0,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    execute_from_command_line(["jejak", *argv])


if __name__ == "__main__":
    main()

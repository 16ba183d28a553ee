#!/usr/bin/env python
"""Django's command-line utility.

Defaults to the demo settings (a local SQLite database and a local vault key
file). Production runs with DJANGO_SETTINGS_MODULE=config.settings.production.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.demo")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

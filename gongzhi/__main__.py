"""The ``gongzhi`` command (also ``python -m gongzhi``).

``gongzhi run`` serves the app with the production server; everything else is a Django management command
(``gongzhi demo``, ``gongzhi bench geo``, ``gongzhi migrate`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    argv[0] = "gongzhi"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

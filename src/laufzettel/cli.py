"""The ``laufzettel`` command: Laufzettel's own commands plus every Django management command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args_in = list(sys.argv if argv is None else argv)
    if args_in[1:] == ["mail", "ingest"]:
        # The MTA pipe: spool the message without starting Django (see laufzettel.mail.spool).
        from laufzettel.mail.spool import pipe_main

        sys.exit(pipe_main())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "laufzettel"
    if len(args) > 1 and args[1] == "serve":
        args[1] = "serve_waitress"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()

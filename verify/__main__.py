"""``python -m verify`` and the ``verify`` command.

Ctrl-C while the CLI is still being imported (a second or more on a loaded machine) ends like
Ctrl-C at any later moment: the line "interrupted" and exit code 130, no traceback.
"""

import sys


def run() -> int:
    try:
        from .cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(run())

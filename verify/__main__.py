"""``python -m verify`` and the ``verify`` command.

Ctrl-C while the CLI is still being imported (a second or more on a loaded machine) ends like
Ctrl-C at any later moment: the line "interrupted" and exit code 130, no traceback.
"""

import os
import sys


def run() -> int:
    try:
        from .cli import main
    except KeyboardInterrupt:
        # nothing was started yet; exit now, without the interpreter's shutdown (which a
        # half-imported module tree can turn into death by SIGINT, exit status -2)
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
        os._exit(130)
    return main()


if __name__ == "__main__":
    sys.exit(run())

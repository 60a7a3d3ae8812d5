import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the CLI is still loading: the same exit as later on
    sys.stderr.write("interrupted\n")
    sys.exit(130)

sys.exit(main())

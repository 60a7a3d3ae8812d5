"""The command line: ``python -m verify`` / ``verify``.

A thin layer that turns options into library calls (the command names follow the
library functions they call). Only this package imports the CLI toolkit (click).

Exit codes: 0 done; 2 bad input or usage (one ``error: …`` line on stderr, no
traceback); 1 unexpected failure (traceback only with ``--debug``); 130 on
Ctrl-C. Batch commands that skip bad files exit 3 when some files failed.
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import IO, Any

import click

from ..errors import VerifyError
from ..text import safe_text

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130

#: Command modules; each has ``register(group)``.
COMMAND_MODULES = (
    "probe_cmd",
    "frames_cmd",
    "match_cmd",
    "report_cmd",
    "get_cmd",
    "claimreview_cmd",
    "text_cmd",
)


class PartialFailure(click.ClickException):
    """A batch finished but some inputs failed (already reported one per line)."""

    exit_code = EXIT_PARTIAL

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected failures and log details.")
@click.version_option(package_name="verify", prog_name="verify")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """verify: offline media verification.

    Probe a clip's metadata, sample its keyframes, match it against a library of
    known footage and export what you found. Nothing leaves this machine.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(cli)


_register_commands()


def _ignore_further_interrupts() -> None:
    """After the first Ctrl-C, a second one must not break the exit (clean-up, interpreter shutdown)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="verify", standalone_mode=False)
    except VerifyError as exc:
        click.echo(f"error: {safe_text(str(exc), limit=500)}", err=True)
        return EXIT_BAD_INPUT
    except (click.exceptions.Abort, KeyboardInterrupt):
        _ignore_further_interrupts()
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.UsageError as exc:
        hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        click.echo(f"error: {safe_text(exc.format_message(), limit=500)}{hint}", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one broad catch: unexpected failures
        if debug:
            traceback.print_exc()
        else:
            click.echo(
                f"error: unexpected failure: {type(exc).__name__}: {safe_text(str(exc), limit=500)} "
                "(run with --debug for details)",
                err=True,
            )
        return EXIT_FAILURE
    return rv if isinstance(rv, int) else EXIT_OK

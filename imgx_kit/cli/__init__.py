"""The imgx-kit command line: sign, diagnose, upload, inpaint, and run the emulator.

    $ imgx-kit sign GET 'https://example.amazonaws.com/' --scheme AWS4 --region us-east-1 --service service

Exit status: 0 success, 1 a negative answer (diagnose: mismatch; upload: some failed), 2 bad usage or an
error (one line on stderr), 130 interrupted, 141 standard output closed early (``| head``), as a shell
reports ``yes | head``: coreutils die of SIGPIPE, 128 + 13.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..core.errors import ImgxError
from .common import cli_wording

__all__ = ["EXIT_PIPE", "build_parser", "main", "plain"]

# sub-command -> module in imgx_kit.cli that defines add_parser(subparsers) and run(args) -> int
COMMANDS = {
    "sign": "imgx_kit.cli.sign",
    "emulator": "imgx_kit.cli.emulator",
    "upload": "imgx_kit.cli.upload",
    "inpaint": "imgx_kit.cli.inpaint",
    "diagnose": "imgx_kit.cli.diagnose",
}
EXIT_PIPE = 128 + 13       # SIGPIPE, what `yes | head` reports for yes


def plain(doc: str | None) -> str:
    """A docstring as help text: reST markup (````x````, ``:class:`~a.B```) read as plain text.

        >>> plain("``imgx-kit sign``: see :class:`~imgx_kit.Signer`")
        'imgx-kit sign: see Signer'
    """
    text = doc or ""
    text = re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?([^`]+)`", r"\1", text)
    return text.replace("``", "")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what was wrong and where the help is)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="imgx-kit", description=plain(__doc__).split("\n\n")[0],
                     epilog=plain(__doc__).split("\n\n", 2)[-1], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for modname in COMMANDS.values():
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name == modname:
                continue                     # that sub-command is not part of this build
            raise
        mod.add_parser(sub)
    parser.set_defaults(_commands=sub.choices)
    return parser


def _quiet_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's last flush does not fail again
    (the recipe of the Python docs, signal module, "Note on SIGPIPE")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return                                  # captured in-process: nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:                                   # say it in the sub-command's name, as its own errors
        args._commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
    except ImgxError as e:
        _error(args.command, str(e))
        return 2
    except RecursionError:
        _error(args.command, "the input is nested too deeply to parse — pass a capture with fewer nested [ or {")
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as e:                        # e.g. stdout on a full disk (> /dev/full): say so, like coreutils
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        _error(args.command, f"cannot complete: {e.strerror or e}{where}")
        _quiet_stdout()
        return 2


def _error(command: str, text: str) -> None:
    line = " ".join(cli_wording(text).split())            # one line, whatever the message held
    try:
        print(f"imgx-kit {command}: error: {line}", file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())

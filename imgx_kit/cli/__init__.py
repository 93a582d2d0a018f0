"""``imgx-kit`` command line: one sub-command per module in this package.

    $ imgx-kit sign GET 'https://example.amazonaws.com/' --scheme AWS4 --region us-east-1 --service service
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from ..core.errors import ImgxError

# sub-command -> module in imgx_kit.cli that defines add_parser(subparsers) and run(args) -> int
COMMANDS = {
    "sign": "imgx_kit.cli.sign",
    "emulator": "imgx_kit.cli.emulator",
    "upload": "imgx_kit.cli.upload",
    "inpaint": "imgx_kit.cli.inpaint",
    "diagnose": "imgx_kit.cli.diagnose",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgx-kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, modname in COMMANDS.items():
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name == modname:
                continue                     # that sub-command is not part of this build
            raise
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ImgxError as e:
        print(f"imgx-kit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

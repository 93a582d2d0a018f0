"""imgx-kit inpaint: repaint the white area of MASK in IMAGE with Volcengine's i2i_inpainting.

Credentials come from VOLC_ACCESSKEY / VOLC_SECRETKEY (and VOLC_SESSION_TOKEN) in the environment.
Where the service is: the real one by default; --endpoint URL for another base URL; --emulator-url
URL for an `imgx-kit emulator` already running there (its public demo credentials are used);
--emulator for one started for this command only (OpenCV inpainting).

IMAGE, MASK and -o are checked before the call: OUT's folder must exist and be writable, and OUT
is written whole or not at all (.png, or .jpg/.jpeg).

    $ imgx-kit inpaint photo.png mask.png -o out.png --emulator-url http://127.0.0.1:8765
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.credentials import Credentials
from .common import UsageError, check_inputs, check_output
from .endpoints import check_base_url, demo_identities, emulator_endpoints

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def _number(kind: type[int | float], lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not lo <= v <= hi:                     # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} is outside {lo}–{hi}")
        return v
    return parse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from . import plain
    p = sub.add_parser("inpaint", help="inpaint IMAGE where MASK is white, write OUT",
                       description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image")
    p.add_argument("mask")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--emulator", action="store_true", help="use a local emulator started for this command")
    where.add_argument("--emulator-url", metavar="URL", help="use the `imgx-kit emulator` running at URL")
    where.add_argument("--endpoint", metavar="URL", help="visual base URL (default https://visual.volcengineapi.com)")
    # the service's documented ranges (as VisualClient checks them)
    p.add_argument("--seed", type=_number(int, -1, 2**63 - 1), default=0, help="-1 (random) or a seed (0)")
    p.add_argument("--steps", type=_number(int, 1, 200), default=30, help="1–200 (30)")
    p.add_argument("--strength", type=_number(float, 0.1, 1.0), default=0.8, help="0.1–1.0 (0.8)")
    p.add_argument("--scale", type=_number(float, 1.0, 20.0), default=7.0, help="1–20 (7)")
    p.add_argument("--json", action="store_true", help="print every call as JSON (secrets masked)")
    p.set_defaults(run=run)


def _write(image: Any, out: Path) -> None:
    """Write next to OUT, then rename: OUT is never left half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=os.path.dirname(os.path.abspath(out)))
    try:
        with os.fdopen(fd, "wb") as f:
            image.convert("RGB").save(f, _FORMATS[out.suffix.lower()])
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def run(args: argparse.Namespace) -> int:
    from ..services.visual import VisualClient
    check_output(args.output)
    if args.output.suffix.lower() not in _FORMATS:
        raise UsageError(f"-o {args.output}: the name should end in .png, .jpg or .jpeg",
                         hint="the suffix picks the format, e.g. -o out.png")
    check_inputs([args.image], "IMAGE")
    check_inputs([args.mask], "MASK")
    ctx: Any = contextlib.nullcontext(None)
    if args.emulator:
        from ..emulator.api import running
        ctx = running()
    with ctx as emu:
        if emu is not None or args.emulator_url:
            creds = demo_identities()[1]
            endpoint = emu.endpoints.visual if emu is not None else emulator_endpoints(args.emulator_url)["visual"]
        else:
            creds = Credentials.from_env("VOLC")
            endpoint = check_base_url(args.endpoint, "--endpoint") if args.endpoint else None
        vc = VisualClient(creds, endpoint=endpoint)
        out = vc.inpaint(args.image, args.mask, seed=args.seed, steps=args.steps, strength=args.strength,
                         scale=args.scale)
    try:
        _write(out.image, args.output)
    except OSError as e:
        raise UsageError(f"-o {args.output}: cannot write ({e.strerror})", hint="check the folder") from None
    if args.json:
        print(json.dumps({"output": str(args.output), "request_id": out.request_id, "call_count": len(out.calls),
                          "calls": [c.to_dict() for c in out.calls]}, indent=2, ensure_ascii=False, default=str))
    else:
        print(f"wrote {args.output} ({out.image.width}x{out.image.height}), request_id {out.request_id}, "
              f"{len(out.calls)} call{'s' if len(out.calls) != 1 else ''}")
    return 0

"""``imgx-kit inpaint``: repaint the white area of MASK in IMAGE with Volcengine's i2i_inpainting.

Credentials come from VOLC_ACCESSKEY / VOLC_SECRETKEY (and VOLC_SESSION_TOKEN); --emulator runs
a local emulator (OpenCV inpainting) for the duration of the command.
"""
from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

from ..core.credentials import Credentials
from ..core.errors import ImageInputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inpaint", help="inpaint IMAGE where MASK is white, write OUT",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image")
    p.add_argument("mask")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT")
    p.add_argument("--emulator", action="store_true")
    p.add_argument("--endpoint", help="visual endpoint (default https://visual.volcengineapi.com)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--strength", type=float, default=0.8)
    p.add_argument("--scale", type=float, default=7.0)
    p.add_argument("--json", action="store_true", help="print the calls as JSON (secrets masked)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..services.visual import VisualClient
    if args.output.is_dir():
        raise ImageInputError(f"{args.output} is a directory", hint="give a file name such as out.png")
    ctx = contextlib.nullcontext(None)
    if args.emulator:
        from ..emulator.api import running
        ctx = running()
    with ctx as emu:
        creds = emu.demo_volc_credentials if emu is not None else Credentials.from_env("VOLC")
        endpoint = emu.endpoints.visual if emu is not None else args.endpoint
        vc = VisualClient(creds, endpoint=endpoint)
        out = vc.inpaint(args.image, args.mask, seed=args.seed, steps=args.steps, strength=args.strength,
                         scale=args.scale)
    fmt = "JPEG" if args.output.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    out.image.convert("RGB").save(args.output, fmt)
    if args.json:
        print(json.dumps({"output": str(args.output), "request_id": out.request_id,
                          "calls": [c.to_dict() for c in out.calls]}, indent=2, ensure_ascii=False, default=str))
    else:
        print(f"wrote {args.output} ({out.image.width}x{out.image.height}), request_id {out.request_id}")
    return 0

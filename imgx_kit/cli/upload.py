"""``imgx-kit upload``: upload images to ImageX (Jimeng web flavour or the OpenAPI flavour).

Real services read their secrets from the environment: JIMENG_SESSIONID for the web flavour,
VOLC_ACCESSKEY / VOLC_SECRETKEY (and IMAGEX_SERVICE_ID or --service-id) for --flavour openapi.
--emulator runs a local emulator for the duration of the command and uses its demo identities.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from ..core.credentials import Credentials
from ..core.errors import CredentialsError
from ..core.html_layout import plural


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upload", help="upload images to ImageX and commit them",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="image paths, URLs or data: URIs")
    p.add_argument("--emulator", action="store_true", help="upload to a local emulator started for this command")
    p.add_argument("--flavour", choices=["web", "openapi"], default="web")
    p.add_argument("--region", choices=["cn", "us", "sg"], default="cn")
    p.add_argument("--service-id", help="ImageX ServiceId (openapi flavour; default $IMAGEX_SERVICE_ID)")
    p.add_argument("--concurrency", type=int, default=8, metavar="N")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(run=run)


def _client(args: argparse.Namespace, emu):
    from ..services.imagex import ImageXClient
    if args.flavour == "web":
        if emu is not None:
            sid = emu.demo_sessionid
        else:
            sid = os.environ.get("JIMENG_SESSIONID", "")
            if not sid:
                raise CredentialsError("environment variable JIMENG_SESSIONID is not set",
                                       hint="export JIMENG_SESSIONID=<the sessionid cookie>, or use --emulator")
        return ImageXClient.jimeng(sessionid=sid, region=args.region, endpoints=emu.endpoints if emu else None)
    creds = emu.demo_volc_credentials if emu is not None else Credentials.from_env("VOLC")
    service_id = args.service_id or (emu.demo_service_id if emu is not None else os.environ.get("IMAGEX_SERVICE_ID", ""))
    if not service_id:
        raise CredentialsError("no ImageX ServiceId", hint="pass --service-id or export IMAGEX_SERVICE_ID")
    return ImageXClient.openapi(creds, service_id=service_id, region=args.region,
                                endpoints=emu.endpoints if emu else None)


def run(args: argparse.Namespace) -> int:
    ctx = contextlib.nullcontext(None)
    if args.emulator:
        from ..emulator.api import running
        ctx = running()
    with ctx as emu:
        client = _client(args, emu)
        batch = client.upload_many(args.files, concurrency=args.concurrency, progress=not args.json)
    if args.json:
        out = [{"input": it.name, "ok": it.ok, **(it.result.to_dict() if it.result else {}),
                **({"error": type(it.error).__name__, "message": str(it.error)} if it.error else {})}
               for it in batch]
        print(json.dumps({"uploaded": len(batch) - len(batch.failed), "failed": len(batch.failed),
                          "items": out}, indent=2, ensure_ascii=False))
    else:
        for it in batch:
            if it.result is not None:
                r = it.result
                print(f"ok      {it.name}  {r.uri}  {r.size} bytes  crc32 {r.crc32}  {r.width}x{r.height} {r.format}"
                      f"  ({plural(len(r.calls), 'call')}, {plural(r.calls.retries, 'retry', 'retries')})")
            else:
                print(f"FAILED  {it.name}  {type(it.error).__name__}: {it.error}")
        print(f"{len(batch) - len(batch.failed)}/{len(batch)} uploaded in {batch.elapsed:.2f} s", file=sys.stderr)
    return 0 if batch.ok else 1

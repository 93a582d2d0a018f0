"""imgx-kit upload: upload images to ImageX (Jimeng web flavour or the OpenAPI flavour).

Real services read their secrets from the environment: JIMENG_SESSIONID for the web flavour,
VOLC_ACCESSKEY / VOLC_SECRETKEY (and IMAGEX_SERVICE_ID or --service-id) for --flavour openapi.

Where the services are: the real ones by default; --endpoint (and --jimeng-endpoint) for another
ImageX (or Jimeng) base URL; --emulator-url URL for an `imgx-kit emulator` already running there
(its public demo identities are used); --emulator for one started for this command only.

Every input is checked before the first call. Each line names the calls one image needed (the
upload token is fetched once per batch and counted for every image); --json lists every call.

    $ imgx-kit upload photo.png --emulator-url http://127.0.0.1:8765 --json
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from ..core.credentials import Credentials
from ..core.errors import CredentialsError
from ..core.html_layout import plural
from .common import UsageError, check_inputs
from .endpoints import check_base_url, demo_identities, emulator_endpoints

if TYPE_CHECKING:
    from ..services.imagex import ImageXClient


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from . import plain
    p = sub.add_parser("upload", help="upload images to ImageX and commit them",
                       description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="image paths, URLs or data: URIs")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--emulator", action="store_true", help="upload to a local emulator started for this command")
    where.add_argument("--emulator-url", metavar="URL", help="upload to the `imgx-kit emulator` running at URL")
    where.add_argument("--endpoint", metavar="URL", help="the ImageX OpenAPI base URL (default: the region's)")
    p.add_argument("--jimeng-endpoint", metavar="URL", help="with --endpoint, web flavour: the Jimeng base URL")
    p.add_argument("--flavour", choices=["web", "openapi"], default="web")
    p.add_argument("--region", choices=["cn", "us", "sg"], default="cn")
    p.add_argument("--service-id", help="ImageX ServiceId (openapi flavour; default $IMAGEX_SERVICE_ID)")
    p.add_argument("--concurrency", type=_concurrency, default=8, metavar="N", help="1–64 uploads at once (8)")
    p.add_argument("--json", action="store_true", help="print one JSON document, every call included")
    p.set_defaults(run=run)


def _concurrency(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"{n} is outside 1–64")
    return n


def _endpoints(args: argparse.Namespace, emu: Any) -> dict[str, str] | None:
    if emu is not None:
        return dict(emu.endpoints.__dict__)
    if args.emulator_url:
        return emulator_endpoints(args.emulator_url)
    if args.jimeng_endpoint and not args.endpoint:
        raise UsageError("--jimeng-endpoint goes with --endpoint", hint="name the ImageX base URL too")
    if args.endpoint:
        from ..services.imagex import WEB_REGIONS
        imagex = check_base_url(args.endpoint, "--endpoint")
        jimeng = check_base_url(args.jimeng_endpoint, "--jimeng-endpoint") if args.jimeng_endpoint \
            else WEB_REGIONS[args.region].web_base
        return {"jimeng": jimeng, "imagex": imagex, "upload": imagex}
    return None


def _client(args: argparse.Namespace, emu: Any) -> ImageXClient:
    from ..services.imagex import ImageXClient

    endpoints = _endpoints(args, emu)
    demo = demo_identities() if (emu is not None or args.emulator_url) else None
    if args.flavour == "web":
        sid = demo[0] if demo else os.environ.get("JIMENG_SESSIONID", "")
        if not sid:
            raise CredentialsError("environment variable JIMENG_SESSIONID is not set",
                                   hint="set JIMENG_SESSIONID (the sessionid cookie) in the environment, "
                                        "or use --emulator / --emulator-url")
        return ImageXClient.jimeng(sessionid=sid, region=args.region, endpoints=endpoints)
    creds = demo[1] if demo else Credentials.from_env("VOLC")
    service_id = args.service_id or (demo[2] if demo else os.environ.get("IMAGEX_SERVICE_ID", ""))
    if not service_id:
        raise CredentialsError("no ImageX ServiceId",
                               hint="pass --service-id or set IMAGEX_SERVICE_ID in the environment")
    return ImageXClient.openapi(creds, service_id=service_id, region=args.region, endpoints=endpoints)


def run(args: argparse.Namespace) -> int:
    check_inputs(args.files, "FILE")
    ctx: Any = contextlib.nullcontext(None)
    if args.emulator:
        from ..emulator.api import running
        ctx = running()
    with ctx as emu:
        client = _client(args, emu)
        batch = client.upload_many(args.files, concurrency=args.concurrency, progress=not args.json)
    shared = len(batch.calls)                  # the token: one call for the whole batch
    if args.json:
        calls = batch.all_calls
        out = [{"input": it.name, "ok": it.ok, **(it.result.to_dict() if it.result else {}),
                "calls": shared + len(it.calls),
                **({"error": type(it.error).__name__, "message": str(it.error)} if it.error else {})}
               for it in batch]
        print(json.dumps({"uploaded": len(batch) - len(batch.failed), "failed": len(batch.failed),
                          "call_count": len(calls), "items": out, "calls": [c.to_dict() for c in calls]},
                         indent=2, ensure_ascii=False, default=str))
    else:
        for it in batch:
            n = shared + len(it.calls)
            if it.result is not None:
                r = it.result
                print(f"ok      {it.name}  {r.uri}  {r.size} bytes  crc32 {r.crc32}  {r.width}x{r.height} {r.format}"
                      f"  ({plural(n, 'call')}, {plural(r.calls.retries, 'retry', 'retries')})")
            else:
                print(f"FAILED  {it.name}  {type(it.error).__name__}: {it.error}")
        print(f"{len(batch) - len(batch.failed)}/{len(batch)} uploaded in {batch.elapsed:.2f} s, "
              f"{len(batch.all_calls)} calls", file=sys.stderr)
    return 0 if batch.ok else 1

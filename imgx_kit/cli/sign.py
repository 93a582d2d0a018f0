"""``imgx-kit sign``: sign a request and print every step (or ``--json``).

Credentials come from the environment: VOLC_ACCESSKEY/VOLC_SECRETKEY for VOLC presets and
schemes, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN for AWS4.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.credentials import Credentials
from ..core.errors import SigningError
from ..core.presets import ALL as PRESETS
from ..core.request import HttpRequest
from ..core.scheme import scheme_by_name
from ..core.signer import Signer
from .common import parse_time


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sign", help="sign a request and show every step",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("method")
    p.add_argument("url")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--data", help="request body (text)")
    g.add_argument("--data-file", type=Path, help="request body read from a file (bytes)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="a ready signer (scheme, region, service, policy)")
    p.add_argument("--scheme", help="AWS4 or VOLC (with --region and --service)")
    p.add_argument("--region")
    p.add_argument("--service")
    p.add_argument("--signed-headers", help="';'-separated lower-case names to sign (default: the scheme's policy)")
    p.add_argument("--presign", type=int, metavar="EXPIRES", help="make a presigned URL valid for EXPIRES seconds")
    p.add_argument("--at", help="pin the signing time, ISO 8601 with zone, e.g. 2025-01-01T00:00:00Z")
    p.add_argument("--env", choices=["VOLC", "AWS", "OSS"], help="which environment variables hold the credentials")
    p.add_argument("--json", action="store_true", help="print the trace as JSON")
    p.set_defaults(run=run)


def _signer(args: argparse.Namespace) -> Signer:
    if args.preset:
        s = PRESETS[args.preset]
        if args.region:
            s = s.with_(region=args.region)
        return s
    if not (args.scheme and args.region and args.service):
        raise SigningError("name a --preset, or all of --scheme, --region and --service",
                           hint="e.g. --preset VOLC_CV, or --scheme AWS4 --region us-east-1 --service s3")
    names = args.signed_headers.split(";") if args.signed_headers else None
    return Signer(scheme_by_name(args.scheme), args.region, args.service, names)


def _headers(raw: list[str]) -> list[tuple[str, str]]:
    out = []
    for h in raw:
        name, sep, value = h.partition(":")
        if not sep:
            raise SigningError(f"-H {h!r} is not 'Name: value'", hint="e.g. -H 'Content-Type: application/json'")
        out.append((name.strip(), value.strip()))
    return out


def run(args: argparse.Namespace) -> int:
    signer = _signer(args)
    env = args.env or ("AWS" if signer.scheme.name == "AWS4" else "OSS" if signer.scheme.name == "OSS4" else "VOLC")
    creds = Credentials.from_env(env)
    body = args.data_file.read_bytes() if args.data_file else (args.data or "").encode()
    req = HttpRequest.build(args.method, args.url, _headers(args.header), body)
    at = parse_time(args.at, "--at", SigningError)
    t = signer.presign(req, creds, expires=args.presign, at=at) if args.presign else signer.sign(req, creds, at=at)
    if args.json:
        print(json.dumps(t.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"{signer!r}\n")
    for step in t.steps:
        print(f"── {step.name}  ({step.explanation})")
        print(step.value if step.value else "(empty)")
        print()
    return 0

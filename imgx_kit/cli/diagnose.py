"""imgx-kit diagnose: why was this signed request rejected?

Reads the request as it was sent (copy-as-cURL, a HAR export or raw HTTP), optionally the server's
answer, and prints ranked causes with evidence and a fix. Credentials come from the environment
(--env; default by scheme: AWS_* for AWS4, VOLC_* for Volcengine, OSS_* for OSS); without
them only structural checks run. Exit status: 0 valid, 1 mismatch, 2 cannot check (or error).

    $ imgx-kit diagnose --curl failing.sh --response answer.json --preset VOLC_CV
"""
from __future__ import annotations

import argparse
import json
import os

from ..core import capture
from ..core.credentials import ENV_PREFIXES, Credentials
from ..core.diagnose import detect_scheme, diagnose
from ..core.errors import DiagnoseError
from ..core.presets import ALL as PRESETS
from ..core.request import HttpRequest
from ..core.scheme import scheme_by_name
from ..core.signer import Signer
from .common import (
    MAX_BODY,
    MAX_TEXT,
    UsageError,
    cli_wording,
    one_line,
    parse_time,
    read_input,
    read_text,
)

_EXIT = {"valid": 0, "mismatch": 1, "cannot-check": 2}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from . import plain
    p = sub.add_parser("diagnose", help="diagnose a rejected signed request (SignatureDoesNotMatch)",
                       description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--curl", metavar="FILE", help="a 'copy as cURL' command ('-' reads stdin)")
    src.add_argument("--har", metavar="FILE", help="a HAR 1.2 export (Chrome, Firefox)")
    src.add_argument("--raw", metavar="FILE", help="the request as raw HTTP text ('-' reads stdin)")
    p.add_argument("--entry", type=int, help="with --har: which entry (0-based)")
    p.add_argument("--url-contains", help="with --har: pick the entry whose URL contains this text")
    p.add_argument("--body-file", metavar="FILE", help="with --raw: the body, when the dump does not include it")
    p.add_argument("--response", metavar="FILE", help="the server's answer (JSON, XML or raw HTTP response)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="what the server expects (scheme, region, service)")
    p.add_argument("--scheme", type=_scheme_arg, metavar="AWS4|VOLC|OSS4",
                   help="what the server expects: AWS4, VOLC or OSS4 (with --region and --service); "
                        "OSS V1 is read from the request itself")
    p.add_argument("--region", type=one_line)
    p.add_argument("--service", type=one_line)
    p.add_argument("--bucket", type=one_line, help="OSS bucket, when the URL does not show it")
    p.add_argument("--now", help="when the request was sent: ISO 8601 with zone, or 'now' (default: the "
                                 "response's Date, else unchecked)")
    p.add_argument("--env", choices=sorted(ENV_PREFIXES), help="which environment variables hold the credentials")
    p.add_argument("--no-credentials", action="store_true", help="do not read credentials (structural checks only)")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.set_defaults(run=run)


def _scheme_arg(text: str) -> str:
    key = text.strip().upper()
    if key in ("OSS", "OSS1"):
        raise argparse.ArgumentTypeError(f"{text!r}: name OSS4 (with --region), or leave --scheme out for OSS V1 "
                                         "(its scheme is read from the request)")
    if key not in ("AWS4", "VOLC", "OSS4"):
        raise argparse.ArgumentTypeError(f"unknown scheme {text!r}: use AWS4, VOLC or OSS4")
    return key


def _read(path: str, flag: str) -> str:
    return read_text(path, flag, MAX_TEXT, stdin=True)


def _request(args: argparse.Namespace) -> HttpRequest:
    if args.curl is not None:
        return capture.from_curl(_read(args.curl, "--curl"))
    if args.har is not None:
        return capture.from_har(_read(args.har, "--har"), index=args.entry, url_contains=args.url_contains)
    body = read_input(args.body_file, "--body-file", MAX_BODY) if args.body_file is not None else None
    return capture.from_raw_http(_read(args.raw, "--raw"), body=body)


def _signer(args: argparse.Namespace) -> Signer | None:
    if args.preset:
        s = PRESETS[args.preset]
        return s.with_(region=args.region) if args.region else s
    if args.scheme or args.region or args.service:
        if not (args.scheme and args.region and args.service):
            raise UsageError("name all of --scheme, --region and --service (or a --preset)",
                                hint="e.g. --scheme AWS4 --region cn-north-1 --service imagex")
        return Signer(scheme_by_name(args.scheme), args.region, args.service)
    return None


def _credentials(args: argparse.Namespace, scheme: str) -> tuple[Credentials | None, str]:
    if args.no_credentials:
        return None, "credentials not read (--no-credentials)"
    env = args.env or {"AWS4": "AWS", "VOLC": "VOLC", "OSS1": "OSS", "OSS4": "OSS"}[scheme]
    ak_var, sk_var, _ = ENV_PREFIXES[env]
    if not (os.environ.get(ak_var) and os.environ.get(sk_var)):
        return None, f"no credentials: {ak_var}/{sk_var} are not set (structural checks only)"
    return Credentials.from_env(env), f"credentials from {ak_var}/{sk_var}"


def run(args: argparse.Namespace) -> int:
    if args.body_file is not None and args.raw is None:
        raise UsageError("--body-file goes with --raw", hint="cURL and HAR captures carry their body")
    if (args.entry is not None or args.url_contains is not None) and args.har is None:
        raise UsageError("--entry and --url-contains go with --har", hint="or pass the capture with --har")
    if sum(x is not None and x == "-" for x in (args.curl, args.raw, args.response)) > 1:
        raise UsageError("standard input ('-') can be read once", hint="save one of the captures to a file")
    sent = _request(args)
    scheme, _ = detect_scheme(sent)
    creds, where = _credentials(args, scheme)
    response = _read(args.response, "--response") if args.response is not None else None
    now = parse_time(args.now, "--now", DiagnoseError)
    d = diagnose(sent, creds, signer=_signer(args), server_response=response, now=now, bucket=args.bucket)
    if args.json:
        out = d.to_dict()
        out["credentials"] = where
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(f"({where})")
        print(cli_wording(repr(d)))
    return _EXIT[d.verdict]

"""imgx-kit sign: sign a request; print the signed headers, a cURL command, every step or JSON.

Credentials come from the environment: VOLC_ACCESSKEY/VOLC_SECRETKEY (VOLC_SESSION_TOKEN) for VOLC
presets and schemes, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN) for AWS4,
OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET (OSS_SESSION_TOKEN) for OSS1/OSS4 (or --env).

Schemes: AWS4 (AWS SigV4), VOLC (Volcengine HMAC-SHA256), OSS1 (Aliyun OSS V1, HMAC-SHA1) and
OSS4 (Aliyun OSS V4, OSS4-HMAC-SHA256). OSS signs the resource /bucket/key, so it needs --bucket
(and --region for OSS4); it is signed as oss2 signs it (the Python API's ik.oss.sign).

A session token is a secret: output that carries it (signed headers, cURL, a presigned URL) shows
it masked, and says so on stderr; --reveal prints the working value. --steps and --json always mask.

    $ imgx-kit sign GET 'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg' \\
          --scheme OSS4 --region cn-hangzhou --bucket examplebucket --curl
"""
from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import unquote, urlsplit

from ..core import oss_sign
from ..core.canonical import parse_query
from ..core.capture import to_curl
from ..core.credentials import Credentials
from ..core.presets import ALL as PRESETS
from ..core.redact import redact_headers, redact_url
from ..core.request import HttpRequest
from ..core.scheme import scheme_by_name
from ..core.signer import Signer
from ..core.trace import SigningTrace
from .common import (
    MAX_BODY,
    UsageError,
    arg_bytes,
    arg_url,
    one_line,
    parse_time,
    read_input,
)

SCHEMES = ("AWS4", "VOLC", "OSS1", "OSS4")
_ENV = {"AWS4": "AWS", "VOLC": "VOLC", "OSS1": "OSS", "OSS4": "OSS"}


def scheme_arg(text: str) -> str:
    """``--scheme``: one of :data:`SCHEMES` (case-insensitive); a bare ``OSS`` is ambiguous.

        >>> scheme_arg("oss4")
        'OSS4'
    """
    key = text.strip().upper()
    if key in ("OSS", "OSS2", "ALIYUN"):
        raise argparse.ArgumentTypeError(f"{text!r} is ambiguous: say OSS1 (V1, HMAC-SHA1) or OSS4 (V4)")
    if key not in SCHEMES:
        raise argparse.ArgumentTypeError(f"unknown scheme {text!r}: use one of {', '.join(SCHEMES)}")
    return key


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from . import plain
    p = sub.add_parser("sign", help="sign a request (AWS4, VOLC, OSS1, OSS4): headers, cURL, steps, JSON",
                       description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("method", help="GET, PUT, POST …")
    p.add_argument("url", help="the full URL, https://host/path?query")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                   help="a request header (repeatable)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--data", help="request body (the argument's bytes)")
    g.add_argument("--data-file", metavar="FILE", help="request body read from a file ('-' reads stdin)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="a ready signer (scheme, region, service, policy)")
    p.add_argument("--scheme", type=scheme_arg, metavar="|".join(SCHEMES),
                   help="AWS4, VOLC, OSS1 or OSS4 (with --region and --service; OSS: --bucket, and --region for OSS4)")
    p.add_argument("--region", type=one_line)
    p.add_argument("--service", type=one_line)
    p.add_argument("--bucket", type=one_line, help="OSS bucket (the signed resource is /bucket/key)")
    p.add_argument("--signed-headers", type=one_line,
                   help="';'-separated lower-case names to sign (AWS4/VOLC; default: the scheme's policy)")
    p.add_argument("--presign", type=int, metavar="EXPIRES", help="make a presigned URL valid for EXPIRES seconds")
    p.add_argument("--at", help="pin the signing time, ISO 8601 with zone, e.g. 2025-01-01T00:00:00Z")
    p.add_argument("--env", choices=["VOLC", "AWS", "OSS"], help="which environment variables hold the credentials")
    p.add_argument("--reveal", action="store_true", help="print the session token unmasked (a working URL/command)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--curl", action="store_true", help="print a runnable cURL command")
    out.add_argument("--steps", action="store_true", help="print every signing step")
    out.add_argument("--json", action="store_true", help="print the trace as JSON (secrets masked)")
    p.set_defaults(run=run)


def _signer(args: argparse.Namespace) -> Signer:
    names = args.signed_headers.split(";") if args.signed_headers else None
    if args.preset:
        if args.scheme or args.service:
            raise UsageError("--preset already names the scheme and service", hint="leave out --scheme/--service")
        s = PRESETS[args.preset]
        s = s.with_(region=args.region) if args.region else s
        return s.with_(signed_headers=tuple(names)) if names else s
    if not (args.scheme and args.region and args.service):
        raise UsageError("name a --preset, or all of --scheme, --region and --service",
                         hint="e.g. --preset VOLC_CV, or --scheme AWS4 --region us-east-1 --service s3")
    return Signer(scheme_by_name(args.scheme), args.region, args.service, names)


def _headers(raw: list[str]) -> list[tuple[str, str]]:
    out = []
    for h in raw:
        name, sep, value = h.partition(":")
        if not sep:
            raise UsageError(f"-H {h!r} is not 'Name: value'", hint="e.g. -H 'Content-Type: application/json'")
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in h):
            raise UsageError(f"-H {h!r} holds a control character", hint="a header is one line of text")
        out.append((name.strip(), value.strip()))
    return out


def _check_url(url: str) -> None:
    if "\u2026" in url or "<" in url or ">" in url:
        raise UsageError(f"URL {url!r} is a placeholder (it holds '…' or <…>)",
                         hint="paste the real URL, e.g. https://examplebucket.oss-cn-hangzhou.aliyuncs.com/cat.jpg")


def oss_bucket_key(req: HttpRequest, bucket: str) -> tuple[str, str | None]:
    """(bucket, key) of an OSS request, as diagnose reads it: the host names the bucket
    (virtual-hosted, or a CNAME bound to it) unless the path starts with /bucket (path style).

        >>> oss_bucket_key(HttpRequest.build("GET", "https://b1.oss-cn-hangzhou.aliyuncs.com/a%20b.jpg"), "b1")
        ('b1', 'a b.jpg')
        >>> oss_bucket_key(HttpRequest.build("GET", "http://127.0.0.1:9/b1/k"), "b1")
        ('b1', 'k')
    """
    host, path = req.host.split(":")[0], req.path
    if host.split(".")[0] != bucket and (path == f"/{bucket}" or path.startswith(f"/{bucket}/")):
        path = path[len(bucket) + 1:]
    key = unquote(path[1:])
    return bucket, key or None


def _oss(args: argparse.Namespace, req: HttpRequest, creds: Credentials) -> SigningTrace:
    if args.preset or args.signed_headers:
        raise UsageError("--preset and --signed-headers do not apply to OSS", hint="use --bucket and --region")
    if args.service and args.service != "oss":
        raise UsageError(f"OSS signs for the service 'oss', not {args.service!r}", hint="leave --service out")
    if not args.bucket:
        raise UsageError(f"{args.scheme} signs /bucket/key: name the bucket with --bucket",
                         hint="e.g. --bucket examplebucket (the bucket the URL addresses)")
    version = 1 if args.scheme == "OSS1" else 4
    at = parse_time(args.at, "--at", UsageError)
    bucket, key = oss_bucket_key(req, args.bucket)
    if args.presign is None:
        return oss_sign.sign(req, creds, bucket, key, version=version, region=args.region, at=at)
    if key is None:
        raise UsageError("a presigned OSS URL names an object: the URL has no key", hint="e.g. .../photos/cat.jpg")
    sp = urlsplit(req.url)
    netloc = sp.netloc[len(bucket) + 1:] if sp.netloc.startswith(f"{bucket}.") else sp.netloc
    return oss_sign.sign_url(bucket, key, f"{sp.scheme}://{netloc}", creds, args.presign, method=req.method,
                             version=version, region=args.region, params=parse_query(req.query), at=at,
                             headers=list(req.headers) or None)


def run(args: argparse.Namespace) -> int:
    args.url = arg_url(args.url)
    _check_url(args.url)
    oss = args.scheme in ("OSS1", "OSS4")
    signer = None if oss else _signer(args)
    scheme = args.scheme if oss else signer.scheme.name  # type: ignore[union-attr]
    body = (read_input(args.data_file, "--data-file", MAX_BODY, stdin=True) if args.data_file is not None
            else arg_bytes(args.data or "", "--data"))
    req = HttpRequest.build(args.method, args.url, _headers(args.header), body)
    creds = Credentials.from_env(args.env or _ENV[scheme])
    if oss:
        t = _oss(args, req, creds)
    else:
        assert signer is not None
        at = parse_time(args.at, "--at", UsageError)
        t = signer.presign(req, creds, expires=args.presign, at=at) if args.presign is not None \
            else signer.sign(req, creds, at=at)
    _print(args, t, signer, creds)
    return 0


def _print(args: argparse.Namespace, t: SigningTrace, signer: Signer | None, creds: Credentials) -> None:
    if args.json:
        print(json.dumps(t.to_dict(), indent=2, ensure_ascii=False))
        return
    if args.steps:
        print(f"{signer!r}\n" if signer else f"Aliyun {t.scheme_name}, bucket {args.bucket!r}\n")
        for step in t.steps:
            print(f"── {step.name}  ({step.explanation})")
            print(step.value if step.value else "(empty)")
            print()
        return
    signed = t.signed_request
    reveal = args.reveal
    if args.curl:
        print(to_curl(signed, redact=not reveal))
    elif t.presigned:
        print(signed.url if reveal else redact_url(signed.url))
    else:
        for k, v in (signed.headers if reveal else redact_headers(signed.headers)):
            print(f"{k}: {v}")
    if creds.session_token and not reveal:
        print("imgx-kit sign: note: the session token is masked, so this output will not work as is; "
              "--reveal prints it", file=sys.stderr)


"""PostObject: the browser / mini-program form upload (``multipart/form-data`` POST to the
bucket), as the OSS docs describe it ("PostObject", "A V1 signature in a PostObject request",
"(Recommended) A V4 signature in a PostObject request"):

* V1: ``OSSAccessKeyId``, ``policy`` (Base64 of the policy JSON) and ``Signature`` =
  Base64(HMAC-SHA1(AccessKeySecret, policy)).
* V4: ``x-oss-signature-version: OSS4-HMAC-SHA256``, ``x-oss-credential``
  (``AK/YYYYMMDD/region/oss/aliyun_v4_request``), ``x-oss-date`` and ``x-oss-signature`` =
  hex(HMAC-SHA256(signing key, policy)), the signing key being OSS V4's chain
  ``"aliyun_v4" + secret`` → date → region → ``oss`` → ``aliyun_v4_request``.
* ``x-oss-security-token`` for STS credentials; the ``file`` field comes last.

The policy's ``expiration`` and ``conditions`` are enforced: ``{"bucket": …}``, exact fields
(``{"key": …}``, ``["eq", "$key", …]``), ``["starts-with", "$key", …]``, ``["in"/"not-in", …]``
and ``["content-length-range", min, max]``; a failure answers ``403 AccessDenied``
"Invalid according to Policy: …" (``EntityTooLarge``/``EntityTooSmall`` for the length range).
``success_action_status`` is 200, 201 (an XML ``PostResponse``) or 204 (the default);
``success_action_redirect`` answers 303 to that URL with ``bucket``, ``key`` and ``etag``.
``${filename}`` in the key is the uploaded file's name.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from ...core.credentials import Credentials
from ...core.request import HttpRequest
from .backend import OssError

__all__ = ["PostForm", "parse", "v4_signing_key"]

_MAX_POLICY = 64 * 1024


@dataclass(frozen=True)
class PostForm:
    """A verified PostObject form: where and what to store."""

    key: str
    data: bytes
    content_type: str
    meta: tuple[tuple[str, str], ...]
    acl: str | None
    status: int
    redirect: str | None
    access_key: str | None          # None: an anonymous (unsigned) form


def v4_signing_key(secret: str, date: str, region: str) -> bytes:
    """OSS V4's signing key (docs: "Include a V4 signature").

        >>> len(v4_signing_key("secret", "20250101", "cn-hangzhou"))
        32
    """
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "oss", "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _denied(why: str) -> OssError:
    return OssError("AccessDenied", f"Invalid according to Policy: {why}", 403)


def _fields(req: HttpRequest) -> tuple[dict[str, str], bytes, str | None, str]:
    ctype, opts = parse_options_header(req.header("Content-Type") or "")
    boundary = opts.get("boundary")
    if ctype != "multipart/form-data" or not boundary:
        raise OssError("InvalidArgument", "PostObject needs a multipart/form-data body with a boundary.", 400,
                       {"ArgumentName": "Content-Type"})
    try:
        form, files = MultiPartParser(max_form_memory_size=_MAX_POLICY * 4).parse(
            io.BytesIO(req.body), boundary.encode("latin-1"), len(req.body))
    except ValueError as e:
        raise OssError("MalformedPOSTRequest", f"The body of your POST request is not well-formed "
                       f"multipart/form-data: {e}", 400) from None
    upload = files.get("file")
    if upload is None:
        raise OssError("InvalidArgument", "The form has no file field (it must be the last field).", 400,
                       {"ArgumentName": "file"})
    fields = {k.lower(): v for k, v in form.items()}
    return fields, upload.read(), upload.filename, upload.content_type or ""


def _check_conditions(policy: dict[str, Any], fields: dict[str, str], bucket: str, size: int) -> None:
    values = {**fields, "bucket": bucket}
    for cond in policy.get("conditions", []):
        if isinstance(cond, dict):
            for name, want in cond.items():
                got = values.get(name.lower())
                if got != want:
                    raise _denied(f"Policy Condition failed: {json.dumps({name: want})}")
            continue
        if not isinstance(cond, list) or len(cond) != 3:
            raise OssError("InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(cond)[:128]}", 400)
        op = str(cond[0]).lower()
        if op == "content-length-range":
            lo, hi = int(cond[1]), int(cond[2])
            if size < lo:
                raise OssError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.", 400)
            if size > hi:
                raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)
            continue
        name = str(cond[1]).lstrip("$").lower()
        ok = _condition_holds(op, values.get(name, ""), cond[2])
        if ok is None:
            raise OssError("InvalidPolicyDocument", f"Invalid Policy: Invalid Condition operator {op[:32]!r}", 400)
        if not ok:
            raise _denied(f"Policy Condition failed: {json.dumps(cond)[:256]}")


def _condition_holds(op: str, got: str, want: Any) -> bool | None:
    """Whether ``got`` satisfies ``[op, "$field", want]`` (``None``: an unknown operator)."""
    if op == "eq":
        return bool(got == want)
    if op == "starts-with":
        return got.startswith(str(want))
    if op in ("in", "not-in"):
        return isinstance(want, list) and (got in want) == (op == "in")
    return None


def _expiration(policy: dict[str, Any], now: datetime) -> None:
    exp = policy.get("expiration")
    if not isinstance(exp, str):
        raise OssError("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.", 400)
    try:
        when = datetime.fromisoformat(exp.replace("Z", "+00:00"))
    except ValueError:
        raise OssError("InvalidPolicyDocument", f"Invalid Policy: Invalid 'expiration' value: {exp[:40]!r}",
                       400) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if now > when:
        raise _denied("Policy expired.")


def _check_v4_date(stamp: str, date: str, now: datetime) -> None:
    """V4 ``x-oss-date`` (docs, POST V4 signature): ISO 8601 basic, on the credential's date, at most
    15 minutes ahead of the server clock and at most 7 days old."""
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise OssError("InvalidArgument", "x-oss-date must look like 20231203T121212Z.", 400,
                       {"ArgumentName": "x-oss-date", "ArgumentValue": stamp[:32]}) from None
    if not stamp.startswith(date):
        raise OssError("InvalidArgument", "x-oss-date is not on the date of x-oss-credential.", 400,
                       {"ArgumentName": "x-oss-date"})
    if when - now > timedelta(minutes=15):
        raise OssError("RequestTimeTooSkewed", "The difference between the request time and the current time "
                       "is too large.", 403)
    if now - when > timedelta(days=7):
        raise _denied("the request is more than 7 days older than its x-oss-date.")


def _verify_signature(fields: dict[str, str], lookup: Callable[[str], Credentials | None], policy_b64: str,
                      region: str, now: datetime) -> str:
    """The access key of a correctly signed form (V1 or V4), else an :class:`OssError`."""
    v4 = fields.get("x-oss-signature-version")
    if v4 is not None:
        if v4 != "OSS4-HMAC-SHA256":
            raise OssError("InvalidArgument", "x-oss-signature-version must be OSS4-HMAC-SHA256.", 400)
        cred = fields.get("x-oss-credential", "")
        parts = cred.split("/")
        if len(parts) != 5 or parts[4] != "aliyun_v4_request" or parts[3] != "oss":
            raise OssError("InvalidArgument",
                           "x-oss-credential is <AccessKeyId>/<date>/<region>/oss/aliyun_v4_request.",
                           400, {"ArgumentName": "x-oss-credential"}, ec="0002-00000710")
        ak, date, cred_region = parts[0], parts[1], parts[2]
        if cred_region != region:
            raise OssError("InvalidArgument", f"x-oss-credential names region {cred_region[:32]!r}, the bucket is in "
                           f"{region!r}.", 400, {"ArgumentName": "x-oss-credential"})
        _check_v4_date(fields.get("x-oss-date", ""), date, now)
        sig = fields.get("x-oss-signature")
    else:
        ak, sig = fields.get("ossaccesskeyid", ""), fields.get("signature")
    if not sig:
        raise OssError("InvalidArgument", "The form carries a policy but no signature "
                       f"({'x-oss-signature' if v4 else 'Signature'}).", 400, ec="0002-00000703")
    creds = lookup(ak)
    if creds is None:
        raise OssError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", 403,
                       {"OSSAccessKeyId": ak[:64]})
    if creds.expires_at is not None and now > creds.expires_at.astimezone(timezone.utc):
        raise OssError("SecurityTokenExpired", "The security token you provided has expired.", 403, ec="0002-00000007")
    token = fields.get("x-oss-security-token")
    if (creds.session_token or None) != (token or None):
        raise OssError("InvalidSecurityToken", "The security token you provided is invalid.", 403)
    if v4 is not None:
        good = hmac.new(v4_signing_key(creds.secret_key, date, region), policy_b64.encode(), hashlib.sha256).hexdigest()
    else:
        good = base64.b64encode(hmac.new(creds.secret_key.encode(), policy_b64.encode(),
                                         hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(good.encode(), sig.encode()):
        raise OssError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                       "you provided. Check your key and signing method.", 403, {"OSSAccessKeyId": ak[:64]})
    return ak


def parse(req: HttpRequest, lookup: Callable[[str], Credentials | None], bucket: str, region: str,
          now: datetime) -> PostForm:
    """Read and check a PostObject form; :class:`OssError` for anything OSS would refuse."""
    fields, data, filename, file_type = _fields(req)
    key = fields.get("key")
    if not key:
        raise OssError("InvalidArgument", "The form has no key field.", 400, {"ArgumentName": "key"})
    key = key.replace("${filename}", filename or "")
    fields["key"] = key
    policy_b64 = fields.get("policy")
    ak: str | None = None
    if policy_b64 is not None:
        if len(policy_b64) > _MAX_POLICY:
            raise OssError("InvalidPolicyDocument", "Invalid Policy: the policy is too large.", 400)
        try:
            policy = json.loads(base64.b64decode(policy_b64, validate=True))
        except (binascii.Error, ValueError, RecursionError):
            raise OssError("InvalidPolicyDocument", "Invalid Policy: the policy is not Base64 of JSON.", 400) from None
        if not isinstance(policy, dict):
            raise OssError("InvalidPolicyDocument", "Invalid Policy: the policy is not a JSON object.", 400)
        ak = _verify_signature(fields, lookup, policy_b64, region, now)
        _expiration(policy, now)
        _check_conditions(policy, fields, bucket, len(data))
    elif any(f in fields for f in ("ossaccesskeyid", "signature", "x-oss-signature", "x-oss-credential")):
        raise OssError("InvalidArgument", "A signed form needs its policy field.", 400, {"ArgumentName": "policy"})
    raw_status = fields.get("success_action_status", "204")
    status = int(raw_status) if raw_status in ("200", "201", "204") else 204
    meta = tuple((k, v) for k, v in fields.items() if k.startswith("x-oss-meta-"))
    ctype = fields.get("content-type") or file_type or "application/octet-stream"
    return PostForm(key, data, ctype, meta, fields.get("x-oss-object-acl"), status,
                    fields.get("success_action_redirect") or None, ak)

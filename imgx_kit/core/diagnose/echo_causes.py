"""What the server's answer says: its error code, and — when it echoed its canonical request or
string to sign — which step differs first from the request's own computation."""
from __future__ import annotations

from ..declared import Declared
from ..echo import ServerEcho
from ..redact import mask_access_key
from ..trace import TraceDiff
from .context import Findings

__all__ = ["echo_causes", "echo_diff_cause"]


def echo_causes(f: Findings, echo: ServerEcho, s: Declared) -> None:
    code = (echo.code or "").strip()
    msg = echo.message or ""
    if code in ("RequestTimeTooSkewed", "InvalidTimestamp") or "InvalidTimeStamp" in code:
        if not f.has("clock-skew") and not f.has("scope-date-not-utc"):
            f.add("clock-skew", f"the server answered {code}: {msg[:120]}", "high", "echo")
    elif code in ("InvalidAccessKeyId", "InvalidAccessKey", "InvalidClientTokenId"):
        if not f.has("session-token-missing"):
            f.add("invalid-access-key", f"the server answered {code}: it does not know access key "
                  f"{mask_access_key(s.access_key)}", "high", "echo")
    elif code in ("ExpiredToken", "SecurityTokenExpired") or (code == "InvalidSecretToken" and "expire" in msg.lower()):
        f.add("expired-credentials", f"the server answered {code}: {msg[:120]}", "high", "echo")
    elif code == "AuthorizationHeaderMalformed" and echo.region:
        f.add("wrong-region", f"the server expects region {echo.region!r}; the scope says {s.region!r}", "high", "echo")
    elif code == "XAmzContentSHA256Mismatch":
        f.add("body-hash-mismatch", f"the server answered {code}", "high", "echo")
    elif echo.detail("HeadersNotSigned"):
        names = echo.detail("HeadersNotSigned") or ""
        cid = "session-token-not-signed" if "security-token" in names else "unsigned-header-present"
        f.add(cid, f"the server lists unsigned headers: {names}", "high", "echo")
    elif "expired" in msg.lower() and s.presigned:
        f.add("presigned-url-expired", f"the server answered: {msg[:120]}", "high", "echo")


_STEP_CAUSE = {"canonical_uri": "path-not-encoded", "canonical_query": "query-not-sorted",
               "canonical_headers": "header-changed-after-signing", "signed_headers": "case-of-signed-headers",
               "payload_hash": "body-changed-after-signing"}


def echo_diff_cause(f: Findings, diff: TraceDiff, s: Declared) -> None:
    if diff.same:
        if diff.compared:
            f.add("secret-key-mismatch", "the server's canonical request and string to sign equal ours, yet the "
                  "signatures differ: the secret key differs (or the server signs with something not modelled)",
                  "medium", "echo")
        return
    step = diff.step
    line = diff.line
    where = f" (line {line[0]}: ours {line[1]!r}, server {line[2]!r})" if line else ""
    if step in ("canonical_request", "hashed_canonical_request") and line:
        n = line[0]
        step = {1: "method", 2: "canonical_uri", 3: "canonical_query"}.get(n, "canonical_headers")
        if "host:" in (line[1] + line[2]):
            f.add("host-header-mismatch", f"the server's canonical request has another host line{where}", "high",
                  "echo")
            return
    if step == "method":
        f.add("method-mismatch", f"the server's canonical request has another method{where}", "high", "echo")
    elif step == "canonical_headers" and line and "host:" in (line[1] + line[2]):
        f.add("host-header-mismatch", f"the server's canonical headers have another host line{where}", "high", "echo")
    elif step in _STEP_CAUSE:
        f.add(_STEP_CAUSE[step], f"the first step that differs from the server's echo is {step}{where}", "medium",
              "echo")
    elif step in ("string_to_sign", "credential_scope"):
        if line and line[0] == 2:
            f.add("date-header-changed-after-signing", f"the timestamps differ{where}", "medium", "echo")
        elif line and line[0] == 3:
            f.add("wrong-region", f"the credential scopes differ{where}", "medium", "echo")
        elif s.scheme == "OSS1":
            f.add("oss-subresource-not-signed" if "?" in (line[2] if line else "") else "header-changed-after-signing",
                  f"the server's string to sign differs from ours{where}", "medium", "echo")
        else:
            f.add("wrong-algorithm-string", f"the strings to sign differ{where}", "low", "echo")



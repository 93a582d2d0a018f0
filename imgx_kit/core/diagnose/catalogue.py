"""The vocabulary of :class:`Cause` ids: every cause of ``reference/fault-catalogue.md``, the schemes
it applies to and its fix; and :class:`Cause`, one ranked finding.

    >>> from imgx_kit.core.diagnose.catalogue import CATALOGUE, applies
    >>> CATALOGUE["wrong-region"].schemes, applies("case-of-signed-headers", "OSS1")
    (('AWS4', 'VOLC', 'OSS4'), False)
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ALL_SCHEMES", "CATALOGUE", "CONF_RANK", "KIND_RANK", "Cause", "CauseInfo", "applies", "make_cause"]


@dataclass(frozen=True)
class CauseInfo:
    id: str
    title: str
    schemes: tuple[str, ...]
    fix: str


ALL_SCHEMES = ("AWS4", "VOLC", "OSS1", "OSS4")
_ROWS = [
    # A. credentials
    ("secret-key-mismatch", "The secret key differs from the one the server holds for this access key", ALL_SCHEMES,
     ("Copy the access key pair again from the console or STS answer; check which profile or environment "
     "variable was loaded (never print the value).")),
    ("secret-whitespace", "The secret key was used with extra whitespace, a newline, quotes or a stray %", ALL_SCHEMES,
     "Strip the secret when loading it (files end with a newline; zsh prints % after cat)."),
    ("secret-special-chars-mangled", "A '+', '/' or '\\' in the secret key was lost to quoting or URL-decoding",
     ALL_SCHEMES,
     "Quote the secret in the shell, or load it from a file; never URL-decode it."),
    ("access-key-secret-swapped", "The access key was used as the secret key", ALL_SCHEMES,
     "Pass Credentials(access_key, secret_key) in that order."),
    ("invalid-access-key", "The access key is unknown to this endpoint (typo, other partition, emulator vs cloud)",
     ALL_SCHEMES,
     "Use the access key issued for this endpoint; temporary keys need their session token."),
    ("session-token-missing", "Temporary credentials were used without their session token", ALL_SCHEMES,
     ("Send the session token issued with the access key (X-Amz-Security-Token / X-Security-Token / "
     "x-oss-security-token).")),
    ("session-token-not-signed", "The session token is sent but not signed", ALL_SCHEMES,
     "Add the token header before building the canonical request, and list it in SignedHeaders."),
    ("expired-credentials", "The temporary credentials have expired", ALL_SCHEMES,
     "Fetch fresh credentials (e.g. Jimeng get_upload_token) and sign again."),
    # B. time
    ("clock-skew", "The signing clock is too far from the server's", ALL_SCHEMES,
     "Sync the clock with NTP, or sign with the server's Date as the time."),
    ("scope-date-not-utc", "Local time was written as UTC (the skew is whole hours)", ALL_SCHEMES,
     "Format the timestamp from a UTC clock (datetime.now(timezone.utc))."),
    ("date-header-mismatch", "The credential scope date is not the date of the timestamp header",
     ("AWS4", "VOLC", "OSS4"),
     "Take the scope date and the timestamp from one UTC instant."),
    ("date-format-invalid", "The timestamp is missing or not in the required format", ALL_SCHEMES,
     "Write YYYYMMDDTHHMMSSZ (AWS4/VOLC/OSS4) or an RFC 1123 GMT date (OSS V1)."),
    ("date-header-changed-after-signing", "The timestamp header was changed after signing", ALL_SCHEMES,
     "Sign last: nothing may change the date header after the signature is computed."),
    ("presigned-url-expired", "The presigned URL has expired", ALL_SCHEMES,
     "Presign again with a longer expiry (at most 7 days), and use the URL before it expires."),
    # C. scope
    ("wrong-region", "The request is signed for another region", ("AWS4", "VOLC", "OSS4"),
     "Sign with the region the endpoint expects (CV: cn-north-1; OSS4: e.g. cn-hangzhou)."),
    ("wrong-service", "The request is signed for another service name (or its case differs)", ("AWS4", "VOLC"),
     ("Sign with the service name the endpoint expects, exactly (imagex for the AWS4 web flow, ImageX "
     "for the Volcengine OpenAPI, cv for visual).")),
    ("wrong-algorithm-string", "The algorithm does not match the endpoint's signing scheme", ALL_SCHEMES,
     "Use the scheme the endpoint expects (AWS4-HMAC-SHA256, HMAC-SHA256 or OSS4-HMAC-SHA256)."),
    ("wrong-scope-terminator", "The credential scope terminator or the key prefix belongs to another scheme",
     ("AWS4", "VOLC", "OSS4"),
     ("AWS4 ends the scope in aws4_request and keys with 'AWS4'+SK; Volcengine ends in request and keys "
     "with the raw SK; OSS4 ends in aliyun_v4_request and keys with 'aliyun_v4'+SK.")),
    # D. canonical URI
    ("path-not-encoded", "The path was signed decoded while the wire carries it encoded (or the reverse)",
     ("AWS4", "VOLC", "OSS4"), "Percent-encode each path segment once (RFC 3986, keep '/') and send that."),
    ("path-double-encoded", "The path was signed encoded twice (or once where the service wants twice)",
     ("AWS4", "VOLC", "OSS4"), "Encode the path exactly as the service specifies (S3 once, other AWS services twice)."),
    ("path-normalization", "'//', '/./' or a trailing '/' was normalised on one side only", ("AWS4", "OSS4"),
     "Sign the path exactly as sent; S3 must not normalise."),
    ("plus-in-path", "A literal '+' in the path was read as a space somewhere", ("AWS4", "OSS1", "OSS4"),
     "Send '+' in object keys as %2B."),
    ("unicode-normalization", "Non-ASCII characters differ in normalisation (NFC/NFD) or encoding", ALL_SCHEMES,
     "Sign the exact UTF-8 bytes that are sent."),
    # E. canonical query
    ("query-not-sorted", "The canonical query was not sorted as the scheme requires", ("AWS4", "VOLC", "OSS4"),
     "Sort parameters by encoded name (bytewise), then by value."),
    ("space-encoded-as-plus", "A space was signed as '+' (form encoding) instead of %20", ("AWS4", "VOLC", "OSS4"),
     "Encode with quote(v, safe='-_.~') when building the canonical query."),
    ("query-encoding-mismatch", "Query characters were encoded differently (!'()*, bare keys, raw values)",
     ("AWS4", "VOLC", "OSS4"), "Encode every name and value with RFC 3986 (only A-Z a-z 0-9 - _ . ~ unencoded)."),
    ("query-param-added-after-signing", "A query parameter was added after signing", ALL_SCHEMES,
     "Add every parameter (cache busters, x-oss-process) before signing."),
    # F. headers
    ("header-changed-after-signing", "A signed header's value was changed after signing", ALL_SCHEMES,
     "Finalise headers (Content-Type, charset) before signing; send exactly the signed value."),
    ("host-header-mismatch", "The Host that was signed differs from the Host the server sees", ("AWS4", "VOLC", "OSS4"),
     "Sign the Host the server sees (drop :80/:443; proxies must keep the original Host)."),
    ("signed-header-missing", "A header listed as signed is not in the request", ALL_SCHEMES,
     "Send every signed header, or do not list it in SignedHeaders."),
    ("unsigned-header-present", "A header that must be signed is sent unsigned", ("AWS4", "OSS1"),
     "Sign every x-amz-* header for S3 (and Content-MD5)."),
    ("header-value-whitespace-not-trimmed", "Header values were trimmed on one side only", ALL_SCHEMES,
     "Trim leading/trailing spaces and collapse inner runs before signing, or send values without them."),
    ("case-of-signed-headers", "The SignedHeaders list is not lower-case and sorted", ("AWS4", "VOLC", "OSS4"),
     # not OSS1: V1 has no signed-header list (every x-oss-*, Content-MD5, Content-Type is signed implicitly)
     "List lower-case header names, sorted, separated by ';' (OSS4: AdditionalHeaders)."),
    ("duplicate-header", "A header is repeated or listed twice", ("AWS4", "VOLC"),
     "Send each signed header once, or join repeated values with ',' in order."),
    ("hop-by-hop-header-signed", "A header that proxies and transports change is signed", ("AWS4", "VOLC"),
     "Do not sign connection, expect, accept-encoding, user-agent, content-length or transfer-encoding."),
    ("non-ascii-header-value", "A signed header value contains non-ASCII characters", ("AWS4", "OSS1"),
     "Percent-encode non-ASCII header values before signing."),
    # G. body
    ("body-hash-mismatch", "The content-hash header does not match the body sent", ("AWS4", "VOLC"),
     "Hash the exact bytes sent (sha256 hex), after the body is final."),
    ("body-changed-after-signing", "The body was changed (re-serialised, filled in) after signing", ("AWS4", "VOLC"),
     "Serialise the body once and send those bytes (data=, not json=)."),
    ("unsigned-payload-not-allowed", "UNSIGNED-PAYLOAD is not accepted here (or, on OSS4, is required)",
     ("AWS4", "OSS4"),
     "Hash the body outside S3; on OSS4 use UNSIGNED-PAYLOAD."),
    # H. presigned URLs
    ("method-mismatch", "The request was signed for another HTTP method", ALL_SCHEMES,
     "Presign for the method you send (GET vs PUT)."),
    ("signature-not-url-encoded", "The base64 signature was put in the URL without encoding", ("OSS1",),
     "URL-encode the Signature parameter ('+' → %2B, '/' → %2F, '=' → %3D)."),
    # I. OSS
    ("oss-subresource-not-signed",
     "A sub-resource (x-oss-process, response-*, acl…) is missing from the signed resource",
     ("OSS1",), "Pass process= (and every sub-resource) to the signer instead of appending it."),
    ("oss-content-md5-or-type-mismatch", "Content-Type or Content-MD5 differs between signing and sending",
     ("OSS1", "OSS4"), "Sign with exactly the Content-Type/Content-MD5 you send (or none on both sides)."),
    ("oss-resource-key-encoded", "The object key was signed URL-encoded (V1 signs the raw key)", ("OSS1",),
     "Put the raw object key into the V1 canonicalized resource."),
    ("oss-bucket-in-resource", "The bucket is missing from (or doubled in) the signed resource", ("OSS1", "OSS4"),
     "The resource is /bucket/key, once, whatever the addressing style."),
    # J. Volcengine
    ("volc-host-or-date-not-signed", "host or x-date is sent but not signed", ("VOLC",),
     "Include host and x-date in SignedHeaders (the documentation requires it)."),
]
CATALOGUE: dict[str, CauseInfo] = {r[0]: CauseInfo(*r) for r in _ROWS}


def applies(cause_id: str, scheme: str) -> bool:
    """Whether a catalogue cause applies to a scheme (``AWS4``, ``VOLC``, ``OSS1``, ``OSS4``)."""
    return scheme in CATALOGUE[cause_id].schemes


CONF_RANK = {"high": 0, "medium": 1, "low": 2}
# how a cause was found; ranks ties within one confidence level
KIND_RANK = {"structure": 0, "exact": 1, "echo": 1, "expectation": 2, "advice": 3, "residual": 4}


@dataclass(frozen=True)
class Cause:
    """One likely reason for the rejection: catalogue ``id``, ``title``, the ``evidence`` found,
    the ``fix``, and ``confidence`` ("high": proven by an HMAC match or deterministic evidence;
    "medium": consistent with the evidence; "low": what is left when nothing else explains it)."""

    id: str
    title: str
    evidence: str
    fix: str
    confidence: str
    kind: str = field(default="structure", compare=False)

    def __repr__(self) -> str:
        return f"Cause({self.id} [{self.confidence}]: {self.evidence[:120]})"

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "evidence": self.evidence, "fix": self.fix,
                "confidence": self.confidence, "kind": self.kind}


def make_cause(cid: str, evidence: str, confidence: str, kind: str) -> Cause:
    info = CATALOGUE[cid]
    return Cause(cid, info.title, evidence, info.fix, confidence, kind)



"""What diagnose works from: the request as sent and what it declares (read by the core's one
parser, :mod:`imgx_kit.core.declared`), what the server expects (a signer, the endpoint table or the
request's own scope), an index of the headers for linear look-ups, and the findings so far.

    >>> import imgx_kit as ik
    >>> from imgx_kit.core.diagnose.context import endpoint
    >>> endpoint("examplebucket.s3.us-west-2.amazonaws.com", "AWS4")
    ('AWS4', 'us-west-2', 's3')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from ..credentials import Credentials
from ..declared import Declared, read
from ..errors import DiagnoseError
from ..request import HttpRequest
from ..scheme import SCHEMES, Scheme
from ..signer import Signer
from .catalogue import Cause, make_cause

__all__ = ["HOP", "TEMP_AK", "Ctx", "Expect", "Findings", "bucket_key", "endpoint", "expectation", "read_sent"]

TEMP_AK = ("ASIA", "AKTP", "STS.")
HOP = ("connection", "expect", "accept-encoding", "user-agent", "transfer-encoding", "keep-alive", "te",
       "upgrade", "content-length")


def read_sent(req: HttpRequest) -> Declared:
    """What the request declares (a :class:`~imgx_kit.core.declared.DeclarationError`, a
    DiagnoseError, when it cannot be read)."""
    return read(req)


_HOSTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "imagex.bytedanceapi.com": (("AWS4", "cn-north-1", "imagex"), ("VOLC", "cn-north-1", "ImageX")),
    "imagex.volcengineapi.com": (("VOLC", "cn-north-1", "ImageX"), ("AWS4", "cn-north-1", "imagex")),
    "visual.volcengineapi.com": (("VOLC", "cn-north-1", "cv"),),
    "imagex-ap-singapore-1.volcengineapi.com": (("VOLC", "ap-singapore-1", "ImageX"),),
    "imagex-us-east-1.volcengineapi.com": (("VOLC", "us-east-1", "ImageX"),),
    "imagex.ap-southeast-1.volcengineapi.com": (("VOLC", "ap-southeast-1", "ImageX"),),
}
_S3 = re.compile(r"^(?:.+\.)?s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")
_AWS = re.compile(r"^([a-z0-9-]+)\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")
_OSS = re.compile(r"(?:^|\.)oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


def endpoint(host: str, scheme: str) -> tuple[str, str, str] | None:
    h = host.split(":")[0].lower()
    rows = _HOSTS.get(h)
    if rows:
        return next((r for r in rows if r[0] == scheme), rows[0])
    m = _S3.match(h)
    if m:
        return ("AWS4", m.group(1), "s3")
    if h in ("s3.amazonaws.com",) or h.endswith(".s3.amazonaws.com"):
        return ("AWS4", "us-east-1", "s3")
    m = _AWS.match(h)
    if m:
        return ("AWS4", m.group(2), m.group(1))
    m = _OSS.search(h)
    if m:
        return ("OSS4" if scheme == "OSS4" else "OSS1" if scheme == "OSS1" else "OSS4", m.group(1), "oss")
    return None


@dataclass
class Expect:
    scheme: str
    region: str
    service: str
    source: str
    normalize: bool = True
    signer: Signer | None = None
    s3: bool = False            # S3's rules: path as sent, encoded once; presigned URLs sign UNSIGNED-PAYLOAD


def expectation(s: Declared, sent: HttpRequest, signer: Signer | None) -> Expect:
    if signer is not None:
        if not isinstance(signer, Signer):
            raise DiagnoseError(f"signer must be an ik.Signer (what the server expects), not {type(signer).__name__}",
                                hint="e.g. signer=ik.presets.VOLC_CV or ik.Signer(ik.AWS4, region=..., service=...)")
        name = signer.scheme.name
        return Expect(name, signer.region, signer.service, f"{signer!r}", signer.normalize_path, signer,
                       bool(signer.s3))
    row = endpoint(sent.host, s.scheme)
    if row is not None:
        scheme, region, service = row
        if s.scheme in ("OSS1", "OSS4") and scheme in ("OSS1", "OSS4"):
            scheme = s.scheme
        return Expect(scheme, region, service, f"endpoint table for {sent.host.split(':')[0]}",
                       service != "s3", s3=scheme == "AWS4" and service == "s3")
    return Expect(s.scheme, s.region or "", s.service or "", "the request's own scope (pass signer= to check it)",
                   s.service != "s3", s3=s.scheme == "AWS4" and s.service == "s3")



def bucket_key(req: HttpRequest, bucket: str | None) -> tuple[str, str]:
    host = req.host.split(":")[0]
    path = req.path
    labels = host.split(".")
    if bucket:
        if path == f"/{bucket}" or path.startswith(f"/{bucket}/"):
            return bucket, unquote(path[len(bucket) + 2:])
        return bucket, unquote(path[1:])
    if len(labels) >= 3 and (labels[1].startswith("oss-") or _OSS.search(".".join(labels[1:]))):
        return labels[0], unquote(path[1:])
    first, _, rest = path[1:].partition("/")
    return unquote(first), unquote(rest)




class Findings:
    """The causes found so far, and what was and was not checked."""

    def __init__(self) -> None:
        self.causes: list[Cause] = []
        self.checked: list[str] = []
        self.not_checked: list[str] = []
        self._keys: set[tuple[str, str]] = set()

    def add(self, cid: str, evidence: str, confidence: str, kind: str) -> None:
        if (cid, evidence) not in self._keys:
            self._keys.add((cid, evidence))
            self.causes.append(make_cause(cid, evidence, confidence, kind))

    def has(self, cid: str) -> bool:
        return any(c.id == cid for c in self.causes)

    def discard(self, cid: str, kind: str) -> None:
        """Forget a finding of one kind that stronger evidence explains otherwise."""
        self.causes = [c for c in self.causes if not (c.id == cid and c.kind == kind)]


@dataclass
class Ctx:
    """Everything a check reads, built once per diagnosis (header look-ups are dictionary reads)."""

    sent: HttpRequest
    s: Declared
    exp: Expect
    creds: Credentials | None
    now: datetime | None
    now_src: str
    f: Findings
    headers: dict[str, list[str]] = field(default_factory=dict)
    ts_dt: datetime | None = None
    listed: list[str] = field(default_factory=list)      # the signed-header names, lower case

    def __post_init__(self) -> None:
        for k, v in self.sent.headers:
            self.headers.setdefault(k.lower(), []).append(v)
        self.listed = [n.lower() for n in self.s.signed_headers]

    @property
    def sc(self) -> Scheme | None:
        return SCHEMES.get(self.s.scheme)

    def has(self, lower_name: str) -> bool:
        return lower_name in self.headers

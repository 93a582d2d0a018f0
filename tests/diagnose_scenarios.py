"""Broken requests for every catalogue cause and scheme, generated programmatically (test helper).

Each scenario is (expected id, scheme label, sent request, credentials, signer, now, also) where
``also`` lists ids that are legitimately true at the same time (e.g. a date changed across midnight
is also a scope/date mismatch).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import imgx_kit as ik
from imgx_kit.core import oss_sign
from imgx_kit.core.keys import derive_keys
from imgx_kit.core.scheme import AWS4, OSS4, VOLC

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
IX_CREDS = ik.Credentials("AKTPexample", "secretexample", session_token="STS2token")
CV_CREDS = ik.Credentials("AKLTexample", "c2VjcmV0")
S3_CREDS = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
OSS_CREDS = ik.Credentials("LTAI5tEXAMPLEAK", "EXAMPLESECRET")
JIMENG = ik.presets.JIMENG_IMAGEX
CV = ik.presets.VOLC_CV
S3 = ik.presets.S3
APPLY = "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz&FileSize=12345&s=abc123xyz0"
COMMIT = "https://imagex.bytedanceapi.com/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz"
CV_URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
CV_BODY = b'{"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}'
OSS_EP = "https://oss-cn-hangzhou.aliyuncs.com"


@dataclass(frozen=True)
class Scenario:
    expected: str
    label: str
    sent: ik.HttpRequest
    creds: ik.Credentials | None
    signer: ik.Signer | None
    now: datetime
    also: tuple[str, ...] = ()
    response: object = None


def apply_req(extra_query: str = "") -> ik.HttpRequest:
    return ik.HttpRequest.build("GET", APPLY + extra_query)


def commit_req() -> ik.HttpRequest:
    return ik.HttpRequest.build("POST", COMMIT, {"Content-Type": "application/json"}, b'{"SessionKey":"sk-session"}')


def cv_req(headers=None) -> ik.HttpRequest:
    return ik.HttpRequest.build("POST", CV_URL, {"Content-Type": "application/json", **(headers or {})}, CV_BODY)


def s3_req(path: str = "/photos/a%20b.png", method: str = "GET", headers=None) -> ik.HttpRequest:
    return ik.HttpRequest.build(method, "https://examplebucket.s3.us-east-1.amazonaws.com" + path, headers)


def mangled(creds: ik.Credentials, secret: str) -> ik.Credentials:
    c = ik.Credentials(creds.access_key, "placeholder", creds.session_token)
    object.__setattr__(c, "secret_key", secret)
    return c


def set_sig(req: ik.HttpRequest, sig: str) -> ik.HttpRequest:
    auth = req.header("Authorization")
    if auth is not None:      # keep what follows the signature (OSS4 writes AdditionalHeaders last)
        return req.with_header("Authorization", re.sub(r"Signature=[^,\s]*", "Signature=" + sig, auth))
    head, _, _ = req.url.rpartition("Signature=")
    return req.with_url(head + "Signature=" + sig)


def resign(t, creds, cr: str | None = None, key=None, alg=None, scope=None, ts=None) -> ik.HttpRequest:
    """Re-sign a trace's request with one part of the computation changed."""
    cr = t.canonical_request if cr is None else cr
    d, region, service, term = t.credential_scope.split("/")
    prefix = {"AWS4": "AWS4", "VOLC": "", "OSS4": "aliyun_v4"}[t.scheme_name]
    kp = key or (prefix, creds.secret_key, d, region, service, term)
    sts = f"{alg or t.algorithm}\n{ts or t.timestamp}\n{scope or t.credential_scope}\n" \
          f"{hashlib.sha256(cr.encode()).hexdigest()}"
    return set_sig(t.signed_request, hmac.new(derive_keys(*kp)[3], sts.encode(), hashlib.sha256).hexdigest())


def cr_line(t, index: int, value: str) -> str:
    lines = t.canonical_request.split("\n")
    lines[index] = value
    return "\n".join(lines)


def with_auth(req: ik.HttpRequest, old: str, new: str) -> ik.HttpRequest:
    return req.with_header("Authorization", req.header("Authorization").replace(old, new))


def v1_resign(req: ik.HttpRequest, sts: str, secret: str) -> ik.HttpRequest:
    import base64
    from urllib.parse import quote
    sig = base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode()
    auth = req.header("Authorization")
    if auth is not None:
        return req.with_header("Authorization", auth.rpartition(":")[0] + ":" + sig)
    return set_sig(req, quote(sig, safe=""))


def scenarios() -> list[Scenario]:
    out: list[Scenario] = []

    def add(expected, label, sent, creds, signer, now=AT, also=(), response=None):
        out.append(Scenario(expected, label, sent, creds, signer, now, tuple(also), response))

    ix, cv, s3c = IX_CREDS, CV_CREDS, S3_CREDS
    apply_t = JIMENG.sign(apply_req(), ix, at=AT)
    commit_t = JIMENG.sign(commit_req(), ix, at=AT)
    cv_t = CV.sign(cv_req(), cv, at=AT)
    s3_t = S3.sign(s3_req(), s3c, at=AT)

    # ---- A. credentials ------------------------------------------------------------------------
    add("secret-whitespace", "AWS4 Apply: SK + newline", JIMENG.sign(apply_req(), mangled(ix, "secretexample\n"), at=AT).signed_request, ix, JIMENG)
    add("secret-whitespace", "VOLC CV: SK + space", CV.sign(cv_req(), mangled(cv, "c2VjcmV0 "), at=AT).signed_request, cv, CV)
    add("secret-special-chars-mangled", "AWS4 S3: '+' in SK decoded to space",
        S3.sign(s3_req(), mangled(s3c, s3c.secret_key.replace("+", " ")), at=AT).signed_request, s3c, S3)
    add("secret-special-chars-mangled", "VOLC CV: '+' in SK decoded",
        CV.sign(cv_req(), mangled(ik.Credentials("AKLTexample", "c2Vj+cmV0"), "c2Vj cmV0"), at=AT).signed_request,
        ik.Credentials("AKLTexample", "c2Vj+cmV0"), CV)
    add("access-key-secret-swapped", "AWS4 Apply: SK := AK", JIMENG.sign(apply_req(), mangled(ix, "AKTPexample"), at=AT).signed_request, ix, JIMENG)
    add("access-key-secret-swapped", "VOLC CV: SK := AK", CV.sign(cv_req(), mangled(cv, "AKLTexample"), at=AT).signed_request, cv, CV)
    add("secret-key-mismatch", "VOLC CV: other key pair", CV.sign(cv_req(), ik.Credentials("AKLTexample", "b3RoZXI="), at=AT).signed_request, cv, CV)
    add("secret-key-mismatch", "AWS4 Apply: other key pair", JIMENG.sign(apply_req(), ik.Credentials("AKTPexample", "othersecret", "STS2token"), at=AT).signed_request, ix, JIMENG)
    add("session-token-missing", "AWS4 Apply: temporary AK without token",
        JIMENG.sign(apply_req(), ik.Credentials("AKTPexample", "secretexample"), at=AT).signed_request, ix, JIMENG)
    add("session-token-missing", "VOLC CV: token-carrying creds, no token sent", cv_t.signed_request,
        ik.Credentials("AKLTexample", "c2VjcmV0", "STS2volc"), CV)
    add("session-token-not-signed", "AWS4 Apply: SignedHeaders=x-amz-date only",
        ik.Signer(AWS4, "cn-north-1", "imagex", ("x-amz-date",)).sign(apply_req(), ik.Credentials("AKTPexample", "secretexample"), at=AT)
        .signed_request.with_header("X-Amz-Security-Token", "STS2token"), ix, JIMENG)
    add("session-token-not-signed", "VOLC CV: token added after signing", cv_t.signed_request.with_header("X-Security-Token", "STS2volc"),
        ik.Credentials("AKLTexample", "c2VjcmV0", "STS2volc"), CV)
    exp_creds = ik.Credentials("AKTPexample", "secretexample", "STS2token", expires_at=AT - timedelta(minutes=1))
    add("expired-credentials", "AWS4 Apply: token expired", apply_t.signed_request, exp_creds, JIMENG)
    add("expired-credentials", "VOLC CV: STS expired", cv_t.signed_request,
        ik.Credentials("AKLTexample", "c2VjcmV0", expires_at=AT - timedelta(seconds=5)), CV)
    add("invalid-access-key", "VOLC CV: server does not know the AK", cv_t.signed_request, None, CV,
        response={"ResponseMetadata": {"RequestId": "r", "Service": "cv", "Region": "cn-north-1",
                                       "Error": {"CodeN": 100009, "Code": "InvalidAccessKey", "Message": "The accesskey [AKLTexample] included in the request is invalid."}}})
    add("invalid-access-key", "AWS4 S3: InvalidAccessKeyId", s3_t.signed_request, None, S3,
        response="<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>")

    # ---- B. time -------------------------------------------------------------------------------
    add("clock-skew", "AWS4 Apply: clock 20 min slow", JIMENG.sign(apply_req(), ix, at=AT - timedelta(minutes=20)).signed_request, ix, JIMENG)
    add("clock-skew", "VOLC CV: clock 30 min fast", CV.sign(cv_req(), cv, at=AT + timedelta(minutes=30)).signed_request, cv, CV)
    add("clock-skew", "AWS4 Apply: no secret, 20 min slow", JIMENG.sign(apply_req(), ix, at=AT - timedelta(minutes=20)).signed_request, None, JIMENG)
    add("scope-date-not-utc", "AWS4 Apply: UTC+8 wall time", JIMENG.sign(apply_req(), ix, at=AT + timedelta(hours=8)).signed_request, ix, JIMENG)
    add("scope-date-not-utc", "VOLC CV: UTC-5 wall time", CV.sign(cv_req(), cv, at=AT - timedelta(hours=5)).signed_request, cv, CV,
        also=("date-header-mismatch",))
    add("date-header-mismatch", "VOLC CV: scope 20241231, X-Date 20250101",
        resign(cv_t, cv, key=("", cv.secret_key, "20241231", "cn-north-1", "cv", "request"),
               scope="20241231/cn-north-1/cv/request").with_header("Authorization", "")
        if False else _date_mismatch(cv_t, cv), cv, CV, also=("date-header-changed-after-signing",))
    add("date-header-mismatch", "AWS4 Apply: scope 20241231", _date_mismatch(apply_t, ix), ix, JIMENG,
        also=("date-header-changed-after-signing",))
    add("date-format-invalid", "AWS4 Apply: x-amz-date with dashes",
        apply_t.signed_request.with_header("x-amz-date", "2025-01-01T00:00:00Z"), ix, JIMENG, also=("date-header-mismatch",))
    add("date-format-invalid", "VOLC CV: X-Date missing (not signed)",
        _volc_without_date(cv), cv, CV, also=("volc-host-or-date-not-signed",))
    add("date-header-changed-after-signing", "AWS4 Apply: x-amz-date +5 s",
        apply_t.signed_request.with_header("x-amz-date", "20250101T000005Z"), ix, JIMENG)
    add("date-header-changed-after-signing", "VOLC CV: X-Date -90 s",
        cv_t.signed_request.with_header("X-Date", "20250101T000130Z"), cv, CV)
    pre = S3.presign(s3_req(), s3c, expires=60, at=AT).signed_request
    add("presigned-url-expired", "AWS4 S3 presign: expired", pre, s3c, S3, now=AT + timedelta(minutes=5))
    add("presigned-url-expired", "VOLC presign: expired", CV.presign(ik.HttpRequest.build("GET", CV_URL), cv, expires=60, at=AT).signed_request,
        cv, CV, now=AT + timedelta(minutes=5))

    # ---- C. scope ------------------------------------------------------------------------------
    add("wrong-region", "AWS4 Apply: us-east-1", JIMENG.with_(region="us-east-1").sign(apply_req(), ix, at=AT).signed_request, ix, JIMENG)
    add("wrong-region", "AWS4 Apply: kRegion only", resign(apply_t, ix, key=("AWS4", "secretexample", "20250101", "us-east-1", "imagex", "aws4_request")), ix, JIMENG)
    add("wrong-region", "VOLC CV: cn-beijing", CV.with_(region="cn-beijing").sign(cv_req(), cv, at=AT).signed_request, cv, CV)
    add("wrong-region", "VOLC CV: no signer, cn-beijing", CV.with_(region="cn-beijing").sign(cv_req(), cv, at=AT).signed_request, cv, None)
    add("wrong-service", "AWS4 Apply: ImageX", JIMENG.with_(service="ImageX").sign(apply_req(), ix, at=AT).signed_request, ix, JIMENG)
    add("wrong-service", "VOLC CV: visual", CV.with_(service="visual").sign(cv_req(), cv, at=AT).signed_request, cv, CV)
    add("wrong-service", "VOLC CV: kService only", resign(cv_t, cv, key=("", "c2VjcmV0", "20250101", "cn-north-1", "CV", "request")), cv, CV)
    add("wrong-algorithm-string", "AWS4 Apply: HMAC-SHA256 token", _alg(apply_t, ix, "HMAC-SHA256"), ix, JIMENG)
    add("wrong-algorithm-string", "VOLC CV: AWS4-HMAC-SHA256 token", _alg(cv_t, cv, "AWS4-HMAC-SHA256"), cv, CV)
    add("wrong-scope-terminator", "AWS4 Apply: terminator request", _term(apply_t, ix, "request", "AWS4"), ix, JIMENG)
    add("wrong-scope-terminator", "VOLC CV: AWS4 key prefix", resign(cv_t, cv, key=("AWS4", "c2VjcmV0", "20250101", "cn-north-1", "cv", "request")), cv, CV)

    # ---- D. canonical URI ----------------------------------------------------------------------
    s3_path = s3_req("/photos/a%20b.png")
    t = S3.sign(s3_path, s3c, at=AT)
    add("path-not-encoded", "AWS4 S3: decoded path signed", resign(t, s3c, cr_line(t, 1, "/photos/a b.png")), s3c, S3)
    add("path-not-encoded", "VOLC: decoded path signed", _volc_path(cv, "/a%20b", "/a b"), cv, CV)
    add("path-double-encoded", "AWS4 S3: %20 encoded again (S3 signs the path once)",
        resign(t, s3c, cr_line(t, 1, "/photos/a%2520b.png")), s3c, S3)
    add("path-double-encoded", "VOLC: double-encoded path", _volc_path(cv, "/a%20b", "/a%2520b"), cv, CV)
    t2 = S3.sign(s3_req("/photos//x/./y.png"), s3c, at=AT)
    add("path-normalization", "AWS4 S3: path normalised by client", resign(t2, s3c, cr_line(t2, 1, "/photos/x/y.png")), s3c, S3)
    t3 = S3.sign(s3_req("/docs/libstdc++-docs.png"), s3c, at=AT)
    add("plus-in-path", "AWS4 S3: '+' read as space", resign(t3, s3c, cr_line(t3, 1, "/docs/libstdc++-docs.png")), s3c, S3)
    t4 = S3.sign(s3_req("/caf%C3%A9.png"), s3c, at=AT)
    add("unicode-normalization", "AWS4 S3: NFD signed, NFC sent", resign(t4, s3c, cr_line(t4, 1, "/cafe%CC%81.png")), s3c, S3)
    add("unicode-normalization", "VOLC: NFD signed", _volc_path(cv, "/caf%C3%A9", "/cafe%CC%81"), cv, CV)

    # ---- E. canonical query --------------------------------------------------------------------
    add("query-not-sorted", "AWS4 Apply: insertion order",
        resign(apply_t, ix, cr_line(apply_t, 2, "Action=ApplyImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz&FileSize=12345&s=abc123xyz0")), ix, JIMENG)
    tq = CV.sign(ik.HttpRequest.build("POST", CV_URL + "&b=1&a=2", {"Content-Type": "application/json"}, CV_BODY), cv, at=AT)
    add("query-not-sorted", "VOLC CV: unsorted", resign(tq, cv, cr_line(tq, 2, "Action=CVProcess&Version=2022-08-31&b=1&a=2")), cv, CV)
    tp = JIMENG.sign(apply_req("&StoreKeys=a%20b.png"), ix, at=AT)
    add("space-encoded-as-plus", "AWS4 Apply: a+b.png signed", resign(tp, ix, cr_line(tp, 2, tp.canonical_query.replace("%20", "+"))), ix, JIMENG)
    tv = CV.sign(ik.HttpRequest.build("POST", CV_URL + "&name=a%20b", {"Content-Type": "application/json"}, CV_BODY), cv, at=AT)
    add("space-encoded-as-plus", "VOLC CV: a+b signed", resign(tv, cv, cr_line(tv, 2, tv.canonical_query.replace("%20", "+"))), cv, CV)
    te = JIMENG.sign(apply_req("&q=it%27s%28x%29"), ix, at=AT)
    add("query-encoding-mismatch", "AWS4 Apply: encodeURIComponent", resign(te, ix, cr_line(te, 2, te.canonical_query.replace("%27", "'").replace("%28", "(").replace("%29", ")"))), ix, JIMENG)
    tb = CV.sign(ik.HttpRequest.build("POST", CV_URL + "&flag=", {"Content-Type": "application/json"}, CV_BODY), cv, at=AT)
    add("query-encoding-mismatch", "VOLC CV: bare key", resign(tb, cv, cr_line(tb, 2, tb.canonical_query.replace("flag=", "flag"))), cv, CV)
    add("query-param-added-after-signing", "AWS4 Apply: &t= after signing", apply_t.signed_request.with_url(APPLY + "&t=1735689600"), ix, JIMENG)
    add("query-param-added-after-signing", "VOLC CV: &debug=1 after signing", cv_t.signed_request.with_url(CV_URL + "&debug=1"), cv, CV)
    add("query-param-added-after-signing", "AWS4 S3 presign: cache buster", pre.with_url(pre.url + "&_=17356"), s3c, S3)

    # ---- F. headers ----------------------------------------------------------------------------
    add("header-changed-after-signing", "VOLC CV: ; charset=utf-8 appended",
        cv_t.signed_request.with_header("Content-Type", "application/json; charset=utf-8"), cv, CV)
    th = S3.sign(s3_req(headers={"Content-Type": "image/png"}, method="PUT"), s3c, at=AT)
    add("header-changed-after-signing", "AWS4 S3: Content-Type replaced", th.signed_request.with_header("Content-Type", "application/octet-stream"), s3c, S3)
    thh = S3.sign(ik.HttpRequest.build("GET", "https://examplebucket.s3.us-east-1.amazonaws.com:443/x.png"), s3c, at=AT)
    add("host-header-mismatch", "AWS4 S3: host signed with :443",
        resign(thh, s3c, thh.canonical_request.replace("host:examplebucket.s3.us-east-1.amazonaws.com", "host:examplebucket.s3.us-east-1.amazonaws.com:443")), s3c, S3)
    add("host-header-mismatch", "VOLC CV: signed host:8443", _volc_host(cv), cv, CV)
    add("signed-header-missing", "AWS4 Apply: token removed", apply_t.signed_request.without_header("x-amz-security-token"), ix, JIMENG)
    add("signed-header-missing", "VOLC CV: content-type stripped", cv_t.signed_request.without_header("Content-Type"), cv, CV)
    tu = S3.with_(signed_headers=("host",)).sign(s3_req(headers={"x-amz-meta-a": "1"}), s3c, at=AT)
    add("unsigned-header-present", "AWS4 S3: x-amz-meta unsigned", tu.signed_request, s3c, S3)
    add("header-value-whitespace-not-trimmed", "VOLC CV: X-Custom trimmed by client",
        ik.Signer(replace(VOLC, header_values="trimall"), "cn-north-1", "cv").sign(cv_req({"X-Custom": "a   b "}), cv, at=AT).signed_request, cv, CV)
    add("header-value-whitespace-not-trimmed", "AWS4 S3: signer does not trim",
        ik.Signer(replace(AWS4, header_values="raw"), "us-east-1", "s3", normalize_path=False).sign(s3_req(headers={"x-amz-meta-a": " a  b"}), s3c, at=AT).signed_request, s3c, S3)
    add("case-of-signed-headers", "VOLC CV: SignedHeaders lists Content-Type", with_auth(cv_t.signed_request, "SignedHeaders=content-type", "SignedHeaders=Content-Type"), cv, CV)
    add("case-of-signed-headers", "AWS4 Apply: unsorted list", with_auth(apply_t.signed_request, "x-amz-date;x-amz-security-token", "x-amz-security-token;x-amz-date"), ix, JIMENG)
    add("duplicate-header", "AWS4 Apply: x-amz-date listed twice", with_auth(apply_t.signed_request, "x-amz-date;", "x-amz-date;x-amz-date;"), ix, JIMENG,
        also=("case-of-signed-headers",))
    td = S3.sign(ik.HttpRequest.build("GET", "https://examplebucket.s3.us-east-1.amazonaws.com/x", [("x-amz-meta-a", "1"), ("x-amz-meta-a", "2")]), s3c, at=AT)
    add("duplicate-header", "AWS4 S3: repeated header joined with ', '", resign(td, s3c, td.canonical_request.replace("x-amz-meta-a:1,2", "x-amz-meta-a:1, 2")), s3c, S3)
    hop = S3.with_(signed_headers=("host", "user-agent")).sign(s3_req(headers={"User-Agent": "curl/8"}), s3c, at=AT)
    add("hop-by-hop-header-signed", "AWS4 S3: user-agent signed, changed by proxy", hop.signed_request.with_header("User-Agent", "proxy/1"), s3c, S3,
        also=("header-changed-after-signing",))
    tn = S3.sign(s3_req(headers={"x-amz-meta-title": "café"}), s3c, at=AT)
    add("non-ascii-header-value", "AWS4 S3: metadata sent as Latin-1",
        resign(tn, s3c, tn.canonical_request.replace("café", "cafÃ©")), s3c, S3)

    add("volc-host-or-date-not-signed", "VOLC CV: host not signed",
        ik.Signer(VOLC, "cn-north-1", "cv", ("content-type", "x-content-sha256")).sign(cv_req(), cv, at=AT).signed_request, cv, CV)
    add("volc-host-or-date-not-signed", "VOLC CV: host not signed (no secret)",
        ik.Signer(VOLC, "cn-north-1", "cv", ("content-type", "x-content-sha256")).sign(cv_req(), cv, at=AT).signed_request, None, CV)
    add("duplicate-header", "VOLC CV: host listed twice", with_auth(cv_t.signed_request, ";host;", ";host;host;"), cv, CV,
        also=("case-of-signed-headers",))

    # ---- G. body -------------------------------------------------------------------------------
    add("body-hash-mismatch", "AWS4 Commit: body re-serialised, hash kept",
        commit_t.signed_request.with_body(b'{"SessionKey": "sk-session"}'), ix, JIMENG, also=("body-changed-after-signing",))
    add("body-hash-mismatch", "VOLC CV: body replaced, hash kept", cv_t.signed_request.with_body(b'{"req_key": "other"}'), cv, CV)
    compact = json.dumps(json.loads(CV_BODY), separators=(",", ":")).encode()
    add("body-changed-after-signing", "VOLC CV: compacted, hash recomputed",
        cv_t.signed_request.with_body(compact).with_header("X-Content-Sha256", hashlib.sha256(compact).hexdigest()), cv, CV)
    api = ik.Signer(AWS4, "us-east-1", "execute-api")
    add("body-changed-after-signing", "AWS4 API Gateway: body attached after signing",
        api.sign(ik.HttpRequest.build("PUT", "https://abc123.execute-api.us-east-1.amazonaws.com/prod/x"), s3c,
                 at=AT).signed_request.with_body(b'{"a":1}'), s3c, api)
    tun = ik.Signer(AWS4, "cn-north-1", "imagex", ("x-amz-content-sha256", "x-amz-date", "x-amz-security-token")).sign(
        commit_req().with_header("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ix, at=AT)
    add("unsigned-payload-not-allowed", "AWS4 Commit: UNSIGNED-PAYLOAD outside S3", tun.signed_request, ix, JIMENG)

    # ---- H. presigned --------------------------------------------------------------------------
    add("method-mismatch", "AWS4 S3 presign: GET URL used with PUT", pre.with_method("PUT"), s3c, S3, now=AT)
    add("method-mismatch", "VOLC presign: GET URL used with POST",
        CV.presign(ik.HttpRequest.build("GET", CV_URL), cv, expires=600, at=AT).signed_request.with_method("POST"), cv, CV)

    # ---- OSS -----------------------------------------------------------------------------------
    out += _oss_scenarios()
    out += _more_oss()
    out += _gap_scenarios()
    return out


def scenario_scheme(sc: Scenario) -> str:
    """The scheme a scenario exercises: the first word of its label (AWS4, VOLC, OSS1, OSS4)."""
    return sc.label.split()[0].rstrip(":")


_OSS_BAD_AK = ("<Error><Code>InvalidAccessKeyId</Code><Message>The OSS Access Key Id you provided does not exist "
               "in our records.</Message><RequestId>5C3D9175B6FC201293AD****</RequestId>"
               "<HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>"
               "<OSSAccessKeyId>{ak}</OSSAccessKeyId></Error>")


def _gap_scenarios() -> list[Scenario]:
    """Causes that apply to a scheme beyond the catalogue's §4 list: OSS V1/V4 tokens, header
    canonicalisation on OSS, and hop-by-hop headers on Volcengine."""
    out: list[Scenario] = []
    oc, cv = OSS_CREDS, CV_CREDS
    tok = ik.Credentials(oc.access_key, oc.secret_key, "STS.tok")
    S4 = ik.Signer(OSS4, "cn-hangzhou", "oss")
    bucket_host = "examplebucket.oss-cn-hangzhou.aliyuncs.com"

    def add(expected, label, sent, creds, signer, now=AT, also=(), response=None):
        out.append(Scenario(expected, label, sent, creds, signer, now, tuple(also), response))

    def req(path="/a.png", headers=None, query=""):
        return ik.HttpRequest.build("PUT", f"https://{bucket_host}{path}{query}", headers, b"png")

    def s1(r, creds=oc):
        from urllib.parse import unquote
        return oss_sign.sign(r, creds, "examplebucket", unquote(r.path[1:]), version=1, at=AT)

    def s4(r, creds=oc, **kw):
        from urllib.parse import unquote
        return oss_sign.sign(r, creds, "examplebucket", unquote(r.path[1:]), version=4, region="cn-hangzhou", at=AT, **kw)

    def url(creds=oc, version=1, key="photos/cat 1.jpg"):
        return oss_sign.sign_url("examplebucket", key, OSS_EP, creds, 600, version=version,
                                 region="cn-hangzhou" if version == 4 else None, at=AT).signed_request

    # ---- A. credentials: an access key the endpoint does not know; the token left unsigned -----
    add("invalid-access-key", "OSS1 URL: server does not know the AK (no secret)", url(), None, None,
        response=_OSS_BAD_AK.format(ak=oc.access_key))
    typo = ik.Credentials("LTAI5tEXAMPLEAX", oc.secret_key)
    add("invalid-access-key", "OSS4 PUT: AK typo, server does not know it", s4(req(), typo).signed_request, oc, S4,
        response=_OSS_BAD_AK.format(ak=typo.access_key))
    add("session-token-not-signed", "OSS1 URL: security-token appended after signing",
        url().with_url(url().url + "&security-token=STS.tok"), tok, None)
    add("session-token-not-signed", "OSS1 PUT: x-oss-security-token added after signing",
        s1(req()).signed_request.with_header("x-oss-security-token", "STS.tok"), tok, None)
    add("session-token-not-signed", "OSS4 PUT: x-oss-security-token added after signing",
        s4(req()).signed_request.with_header("x-oss-security-token", "STS.tok"), tok, S4)
    add("session-token-not-signed", "OSS4 URL: x-oss-security-token appended after signing",
        url(version=4).with_url(url(version=4).url + "&x-oss-security-token=STS.tok"), tok, S4)

    # ---- D. canonical URI: OSS4 does not normalise keys -----------------------------------------
    tn = s4(req("/photos//cat.png"))
    add("path-normalization", "OSS4 PUT: '//' in key collapsed by client", resign(tn, oc, cr_line(tn, 1, "/examplebucket/photos/cat.png")), oc, S4)
    td = s4(req("/photos/./cat.png"))
    add("path-normalization", "OSS4 PUT: '/./' in key removed by client", resign(td, oc, cr_line(td, 1, "/examplebucket/photos/cat.png")), oc, S4)

    # ---- E. canonical query: V1 signs only sub-resources, so a plain '&t=' is harmless; a second
    # '?' glues the parameters onto the Signature value ----------------------------------------
    add("query-param-added-after-signing", "OSS1 URL: '?t=' appended with a second '?'", url().with_url(url().url + "?t=1735689600"), oc, None)

    # ---- F. headers -----------------------------------------------------------------------------
    th = s4(req(headers={"Host": bucket_host + ":443"}), additional_headers=["host"])
    add("host-header-mismatch", "OSS4 PUT: host signed with :443, proxy dropped the port",
        th.signed_request.with_header("Host", bucket_host), oc, S4)
    tl = s4(req(headers={"Host": bucket_host, "Content-Disposition": "inline"}), additional_headers=["content-disposition", "host"])
    add("case-of-signed-headers", "OSS4 PUT: AdditionalHeaders unsorted",
        with_auth(resign(tl, oc, cr_line(tl, -2, "host;content-disposition")), "AdditionalHeaders=content-disposition;host",
                  "AdditionalHeaders=host;content-disposition"), oc, S4)
    add("case-of-signed-headers", "OSS4 PUT: AdditionalHeaders not lower-case",
        with_auth(resign(tl, oc, cr_line(tl, -2, "Content-Disposition;Host")), "AdditionalHeaders=content-disposition;host",
                  "AdditionalHeaders=Content-Disposition;Host"), oc, S4)
    add("signed-header-missing", "OSS1 PUT: x-oss-security-token signed, then stripped by a proxy",
        s1(req(), tok).signed_request.without_header("x-oss-security-token"), tok, None)
    add("unsigned-header-present", "OSS1 PUT: x-oss-meta-a added after signing",
        s1(req()).signed_request.with_header("x-oss-meta-a", "1"), oc, None)
    add("unsigned-header-present", "OSS1 PUT: signer left out x-oss-object-acl",
        _v1_without(s1(req(headers={"x-oss-object-acl": "private"})), "x-oss-object-acl:private\n", oc), oc, None)
    tw = s1(req(headers={"x-oss-meta-a": "a   b "}))
    add("header-value-whitespace-not-trimmed", "OSS1 PUT: client trimmed x-oss-meta-a",
        _v1_without(tw, "x-oss-meta-a:a   b \n", oc, "x-oss-meta-a:a b\n"), oc, None)
    tx = s1(req(headers={"x-oss-meta-title": "café"}))
    add("non-ascii-header-value", "OSS1 PUT: metadata signed as mojibake",
        _v1_without(tx, "café", oc, "cafÃ©"), oc, None)
    hop = ik.Signer(VOLC, "cn-north-1", "cv", ("accept-encoding", "content-type", "host", "x-content-sha256", "x-date"))
    add("hop-by-hop-header-signed", "VOLC CV: accept-encoding signed, transport added br",
        hop.sign(cv_req({"Accept-Encoding": "gzip, deflate"}), cv, at=AT).signed_request
        .with_header("Accept-Encoding", "gzip, deflate, br"), cv, CV)
    add("hop-by-hop-header-signed", "VOLC CV: user-agent signed, replaced by a proxy",
        ik.Signer(VOLC, "cn-north-1", "cv", ("content-type", "host", "user-agent", "x-content-sha256", "x-date"))
        .sign(cv_req({"User-Agent": "volc-sdk-nodejs/1.0"}), cv, at=AT).signed_request.with_header("User-Agent", "proxy/1"),
        cv, CV)
    return out


def _v1_without(t, old: str, creds: ik.Credentials, new: str = "") -> ik.HttpRequest:
    """The request of V1 trace ``t`` re-signed with ``old`` replaced by ``new`` in its string to sign."""
    assert old in t.string_to_sign
    return v1_resign(t.signed_request, t.string_to_sign.replace(old, new), creds.secret_key)


def _more_oss() -> list[Scenario]:
    out: list[Scenario] = []
    oc = OSS_CREDS
    S4 = ik.Signer(OSS4, "cn-hangzhou", "oss")
    plus = ik.Credentials(oc.access_key, "EXAMPLE+SECRET")
    old = ik.Credentials(oc.access_key, oc.secret_key, expires_at=AT - timedelta(minutes=1))
    host = "https://examplebucket.oss-cn-hangzhou.aliyuncs.com"

    def req(path="/a.png", headers=None, query=""):
        return ik.HttpRequest.build("PUT", host + path + query, headers, b"png")

    def s4(r, creds=oc, at=AT, **kw):
        key = r.path[1:]
        from urllib.parse import unquote
        return oss_sign.sign(r, creds, "examplebucket", unquote(key), version=4, region="cn-hangzhou", at=at, **kw)

    def s1(r, creds=oc, at=AT):
        from urllib.parse import unquote
        return oss_sign.sign(r, creds, "examplebucket", unquote(r.path[1:]), version=1, at=at)

    def add(expected, label, sent, creds, signer, now=AT, also=()):
        out.append(Scenario(expected, label, sent, creds, signer, now, tuple(also)))

    for ver, sign, signer in (("OSS1", s1, None), ("OSS4", s4, S4)):
        add("secret-special-chars-mangled", f"{ver} PUT: '+' in SK decoded", sign(req(), mangled(plus, "EXAMPLE SECRET")).signed_request, plus, signer)
        add("expired-credentials", f"{ver} PUT: STS expired", sign(req(), old).signed_request, old, signer)
        add("session-token-missing", f"{ver} PUT: STS AK without token", sign(req(), ik.Credentials("STS.example", oc.secret_key)).signed_request,
            ik.Credentials("STS.example", oc.secret_key, "STS.tok"), signer)
        add("scope-date-not-utc", f"{ver} PUT: UTC+8 wall time", sign(req(), at=AT + timedelta(hours=8)).signed_request, oc, signer)
        add("header-changed-after-signing", f"{ver} PUT: x-oss-meta changed", sign(req(headers={"x-oss-meta-a": "1"})).signed_request
            .with_header("x-oss-meta-a", "1; p=2"), oc, signer)
        add("unicode-normalization", f"{ver} PUT: NFD key signed", _nfd(ver, sign, req, oc), oc, signer)
    add("date-format-invalid", "OSS1 PUT: Date not RFC 1123", s1(req()).signed_request.with_header("date", "2025-01-01"), oc, None)
    add("date-format-invalid", "OSS4 PUT: x-oss-date with dashes", s4(req()).signed_request.with_header("x-oss-date", "2025-01-01T00:00:00Z"), oc, S4,
        also=("date-header-mismatch",))
    add("wrong-algorithm-string", "OSS1 PUT: V1 where V4 is expected", s1(req()).signed_request, oc, S4)
    t4 = s4(req())
    add("wrong-algorithm-string", "OSS4 PUT: AWS4 algorithm token", _alg(t4, oc, "AWS4-HMAC-SHA256"), oc, S4)
    add("secret-key-mismatch", "OSS4 PUT: other key", s4(req(), ik.Credentials(oc.access_key, "OTHER")).signed_request, oc, S4)
    add("access-key-secret-swapped", "OSS4 PUT: SK := AK", s4(req(), mangled(oc, oc.access_key)).signed_request, oc, S4)
    add("date-header-mismatch", "OSS4 PUT: scope 20241231", _date_mismatch(t4, oc), oc, S4, also=("date-header-changed-after-signing",))
    tp = s4(req("/a%20b.png"))
    add("path-not-encoded", "OSS4 PUT: key signed unencoded", resign(tp, oc, cr_line(tp, 1, "/examplebucket/a b.png")), oc, S4)
    add("path-double-encoded", "OSS4 PUT: key encoded twice", resign(tp, oc, cr_line(tp, 1, "/examplebucket/a%2520b.png")), oc, S4)
    tpl = s4(req("/c%2B%2B.txt"))
    add("plus-in-path", "OSS4 PUT: '+' read as space", resign(tpl, oc, cr_line(tpl, 1, "/examplebucket/c%20%20.txt")), oc, S4)
    tq = s4(req(query="?b=1&a=2"))
    add("query-not-sorted", "OSS4 PUT: unsorted query", resign(tq, oc, cr_line(tq, 2, "b=1&a=2")), oc, S4)
    ts_ = s4(req(query="?n=a%20b"))
    add("space-encoded-as-plus", "OSS4 PUT: a+b signed", resign(ts_, oc, cr_line(ts_, 2, "n=a+b")), oc, S4)
    tb = s4(req(query="?acl"))
    add("query-encoding-mismatch", "OSS4 PUT: bare key written k=", resign(tb, oc, cr_line(tb, 2, "acl=")), oc, S4)
    tw = s4(req(headers={"x-oss-meta-a": "a  b"}))
    add("header-value-whitespace-not-trimmed", "OSS4 PUT: value trimall by client",
        resign(tw, oc, tw.canonical_request.replace("x-oss-meta-a:a  b", "x-oss-meta-a:a b")), oc, S4)
    td = s4(req(headers={"Content-Disposition": "inline"}), additional_headers=["content-disposition"])
    add("signed-header-missing", "OSS4 PUT: additional header dropped", td.signed_request.without_header("Content-Disposition"), oc, S4)
    return out


def _nfd(ver, sign, req, oc):
    import unicodedata
    from urllib.parse import quote
    nfc = "caf\u00e9.png"
    t = sign(req("/" + quote(nfc)))
    nfd = unicodedata.normalize("NFD", nfc)
    if ver == "OSS4":
        return resign(t, oc, cr_line(t, 1, "/examplebucket/" + quote(nfd)))
    return v1_resign(t.signed_request, t.string_to_sign.replace(nfc, nfd), oc.secret_key)


def _date_mismatch(t, creds) -> ik.HttpRequest:
    d, region, service, term = t.credential_scope.split("/")
    prefix = {"AWS4": "AWS4", "VOLC": "", "OSS4": "aliyun_v4"}[t.scheme_name]
    scope = f"20241231/{region}/{service}/{term}"
    req = resign(t, creds, key=(prefix, creds.secret_key, "20241231", region, service, term), scope=scope)
    return with_auth(req, f"/{d}/", "/20241231/")


def _alg(t, creds, alg) -> ik.HttpRequest:
    return with_auth(resign(t, creds, alg=alg), t.algorithm + " ", alg + " ")


def _term(t, creds, term, prefix) -> ik.HttpRequest:
    d, region, service, old = t.credential_scope.split("/")
    scope = f"{d}/{region}/{service}/{term}"
    req = resign(t, creds, key=(prefix, creds.secret_key, d, region, service, term), scope=scope)
    return with_auth(req, f"/{old},", f"/{term},")


def _volc_without_date(cv) -> ik.HttpRequest:
    t = CV.sign(cv_req(), cv, at=AT)
    return with_auth(t.signed_request.without_header("X-Date"), ";x-date,", ",")


def _volc_path(cv, wire: str, signed: str) -> ik.HttpRequest:
    t = CV.sign(ik.HttpRequest.build("POST", "https://visual.volcengineapi.com" + wire + "?Action=CVProcess&Version=2022-08-31",
                                     {"Content-Type": "application/json"}, CV_BODY), cv, at=AT)
    return resign(t, cv, cr_line(t, 1, signed))


def _volc_host(cv) -> ik.HttpRequest:
    # signed for host:8443, forwarded by a proxy without the port
    t = CV.sign(ik.HttpRequest.build("POST", CV_URL.replace(".com/", ".com:8443/"), {"Content-Type": "application/json"}, CV_BODY), cv, at=AT)
    r = t.signed_request
    return ik.HttpRequest(r.method, CV_URL, tuple((k, v) for k, v in r.headers if k.lower() != "host"), r.body)


def _oss_scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    oc = OSS_CREDS
    S4 = ik.Signer(OSS4, "cn-hangzhou", "oss")

    def add(expected, label, sent, creds, signer, now=AT, also=()):
        out.append(Scenario(expected, label, sent, creds, signer, now, tuple(also)))

    # OSS1 presigned URLs (catalogue §4 #24-28)
    u = oss_sign.sign_url("examplebucket", "photos/cat 1.jpg", OSS_EP, oc, 600, version=1, at=AT)
    add("oss-subresource-not-signed", "OSS1 URL: x-oss-process appended",
        u.signed_request.with_url(u.signed_request.url + "&x-oss-process=image%2Fresize%2Cw_100"), oc, None)
    # find a URL whose signature has '+'
    for i in range(200):
        up = oss_sign.sign_url("examplebucket", f"p/{i}.jpg", OSS_EP, oc, 600, process="image/resize,w_100", version=1, at=AT)
        if "%2B" in up.signed_request.url:
            break
    add("signature-not-url-encoded", "OSS1 URL: raw '+' in Signature",
        up.signed_request.with_url(up.signed_request.url.replace("%2B", "+")), oc, None)
    add("presigned-url-expired", "OSS1 URL: expired", oss_sign.sign_url("examplebucket", "a.jpg", OSS_EP, oc, 60, version=1, at=AT - timedelta(seconds=70)).signed_request, oc, None)
    add("presigned-url-expired", "OSS1 URL: expired (no secret)", oss_sign.sign_url("examplebucket", "a.jpg", OSS_EP, oc, 60, version=1, at=AT - timedelta(seconds=70)).signed_request, None, None)
    key = "报告 1.png"
    uk = oss_sign.sign_url("examplebucket", key, OSS_EP, oc, 600, version=1, at=AT)
    from urllib.parse import quote
    exp_ = str(int(AT.timestamp()) + 600)
    add("oss-resource-key-encoded", "OSS1 URL: encoded key signed",
        v1_resign(uk.signed_request, f"GET\n\n\n{exp_}\n/examplebucket/{quote(key)}", oc.secret_key), oc, None)
    add("oss-bucket-in-resource", "OSS1 URL: resource without bucket",
        v1_resign(u.signed_request, f"GET\n\n\n{exp_}\n/photos/cat 1.jpg", oc.secret_key), oc, None)
    add("secret-whitespace", "OSS1 URL: SK + newline",
        oss_sign.sign_url("examplebucket", "a.jpg", OSS_EP, mangled(oc, "EXAMPLESECRET\n"), 600, version=1, at=AT).signed_request, oc, None)
    add("access-key-secret-swapped", "OSS1 URL: SK := AK",
        oss_sign.sign_url("examplebucket", "a.jpg", OSS_EP, mangled(oc, oc.access_key), 600, version=1, at=AT).signed_request, oc, None)
    add("method-mismatch", "OSS1 URL: GET URL used with PUT", u.signed_request.with_method("PUT"), oc, None)
    add("plus-in-path", "OSS1 URL: '+' in key read as space",
        v1_resign(oss_sign.sign_url("examplebucket", "c++.txt", OSS_EP, oc, 600, version=1, at=AT).signed_request,
                  f"GET\n\n\n{exp_}\n/examplebucket/c  .txt", oc.secret_key), oc, None)
    put = ik.HttpRequest.build("PUT", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/a.png", body=b"png")
    hv1 = oss_sign.sign(put, oc, "examplebucket", "a.png", version=1, at=AT)
    add("oss-content-md5-or-type-mismatch", "OSS1 PUT: Content-Type added after signing",
        hv1.signed_request.with_header("Content-Type", "image/png"), oc, None)
    add("clock-skew", "OSS1 PUT: clock 20 min slow",
        oss_sign.sign(put, oc, "examplebucket", "a.png", version=1, at=AT - timedelta(minutes=20)).signed_request, oc, None)
    add("date-header-changed-after-signing", "OSS1 PUT: Date +3 s",
        hv1.signed_request.with_header("date", oss_sign.http_date(AT + timedelta(seconds=3))), oc, None)
    add("secret-key-mismatch", "OSS1 PUT: other key", oss_sign.sign(put, ik.Credentials(oc.access_key, "OTHER"), "examplebucket", "a.png",
                                                                    version=1, at=AT).signed_request, oc, None)
    # OSS4
    u4 = oss_sign.sign_url("examplebucket", "photos/cat 1.jpg", OSS_EP, oc, 600, version=4, region="cn-hangzhou", at=AT)
    add("wrong-region", "OSS4 URL: region beijing", oss_sign.sign_url("examplebucket", "photos/cat 1.jpg", OSS_EP, oc, 600, version=4,
                                                                        region="beijing", at=AT).signed_request, oc, S4)
    add("wrong-region", "OSS4 URL: oss-cn-hangzhou, no signer", oss_sign.sign_url("examplebucket", "photos/cat 1.jpg", OSS_EP, oc, 600, version=4,
                                                                                    region="oss-cn-hangzhou", at=AT).signed_request, oc, None)
    add("query-param-added-after-signing", "OSS4 URL: x-oss-process appended",
        u4.signed_request.with_url(u4.signed_request.url + "&x-oss-process=image%2Fresize%2Cw_100"), oc, S4)
    add("presigned-url-expired", "OSS4 URL: expired", u4.signed_request, oc, S4, now=AT + timedelta(hours=1))
    add("secret-whitespace", "OSS4 URL: SK + space", oss_sign.sign_url("examplebucket", "a.jpg", OSS_EP, mangled(oc, "EXAMPLESECRET "), 600,
                                                                         version=4, region="cn-hangzhou", at=AT).signed_request, oc, S4)
    add("method-mismatch", "OSS4 URL: GET URL used with PUT", u4.signed_request.with_method("PUT"), oc, S4)
    h4 = oss_sign.sign(put.with_header("Content-Type", "image/png"), oc, "examplebucket", "a.png", version=4, region="cn-hangzhou", at=AT)
    add("oss-content-md5-or-type-mismatch", "OSS4 PUT: Content-Type changed after signing",
        h4.signed_request.with_header("Content-Type", "image/jpeg"), oc, S4)
    add("clock-skew", "OSS4 PUT: clock 30 min fast",
        oss_sign.sign(put, oc, "examplebucket", "a.png", version=4, region="cn-hangzhou", at=AT + timedelta(minutes=30)).signed_request, oc, S4)
    add("date-header-changed-after-signing", "OSS4 PUT: x-oss-date +2 s",
        oss_sign.sign(put, oc, "examplebucket", "a.png", version=4, region="cn-hangzhou", at=AT).signed_request
        .with_header("x-oss-date", "20250101T000002Z"), oc, S4)
    add("unsigned-payload-not-allowed", "OSS4 PUT: body hashed",
        oss_sign.sign(put, oc, "examplebucket", "a.png", version=4, region="cn-hangzhou", at=AT).signed_request
        .with_header("x-oss-content-sha256", hashlib.sha256(b"png").hexdigest()), oc, S4, also=("header-changed-after-signing",))
    t4 = oss_sign.sign(put, oc, "examplebucket", "a.png", version=4, region="cn-hangzhou", at=AT)
    add("oss-bucket-in-resource", "OSS4 PUT: resource without bucket", resign(t4, oc, cr_line(t4, 1, "/a.png")), oc, S4)
    add("wrong-scope-terminator", "OSS4 PUT: AWS4 key prefix",
        resign(t4, oc, key=("AWS4", oc.secret_key, "20250101", "cn-hangzhou", "oss", "aliyun_v4_request")), oc, S4)
    return out

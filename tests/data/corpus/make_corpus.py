"""Write corpus.json: requests made by independent signers (botocore, requests-aws4auth, the volcengine
SDK, oss2, npm aws4 and @smithy/signature-v4, hand-rolled seed-style signers) making real mistakes,
each confirmed broken or valid by the independent verifier (verify.py) before it is written.

    cd tests/data/node && npm install --no-package-lock     # once: the node signers
    /work/venv/bin/python tests/data/corpus/make_corpus.py   # rewrites tests/data/corpus/corpus.json

imgx-kit is never imported here: no request, expectation or verdict comes from its signer.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import producers as P
from verify import Key, Server, verify

OUT = Path(__file__).resolve().parent / "corpus.json"
AT = dt.datetime(2025, 3, 14, 8, 30, 0, tzinfo=dt.timezone.utc)
NOW = AT + dt.timedelta(seconds=2)
MIN = dt.timedelta(minutes=1)

AWS_AK, AWS_SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TMP_AK, TMP_SK, TMP_TOKEN = "ASIAEXAMPLETEMP", "tEmPsEcReT/kEy+1234567890abcdefEXAMPLE", "FQoGZXIvYXdzEXAMPLETOKEN"
IX_AK, IX_SK, IX_TOKEN = "AKTPexample", "secretexample", "STS2token"
VOLC_AK, VOLC_SK = "AKLTexample", "WVdKallrVGxNRE5sTURFd05EZ3lOMkUyTnpZeFlXSTFNekkxWkRNMlpXWQ=="
OSS_AK, OSS_SK = "LTAI5tEXAMPLEAK", "EXAMPLESECRETkey+/xyz"
OTHER_SK = "someOtherSecretKeyFromAnotherPair1234567"

API = "https://abc123def4.execute-api.us-east-1.amazonaws.com"
S3H = "https://examplebucket.s3.us-west-2.amazonaws.com"
APPLY = "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz&FileSize=12345"
CV = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
IMGX = "https://imagex.volcengineapi.com/?Action=GetImageUploadFiles&Version=2018-08-01&ServiceId=tb4s082cfz&Limit=10"
CV_BODY = json.dumps({"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}).encode()
OSS_EP, BUCKET = "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket"

SERVERS = {
    "api": Server("AWS4", "us-east-1", "execute-api", {AWS_AK: Key(AWS_SK), TMP_AK: Key(TMP_SK, TMP_TOKEN)}, NOW),
    "s3": Server("AWS4", "us-west-2", "s3", {AWS_AK: Key(AWS_SK), TMP_AK: Key(TMP_SK, TMP_TOKEN)}, NOW, s3=True),
    "imagex": Server("AWS4", "cn-north-1", "imagex", {IX_AK: Key(IX_SK, IX_TOKEN)}, NOW),
    "cv": Server("VOLC", "cn-north-1", "cv", {VOLC_AK: Key(VOLC_SK), IX_AK: Key(IX_SK, IX_TOKEN)}, NOW),
    "imagex-openapi": Server("VOLC", "cn-north-1", "ImageX", {VOLC_AK: Key(VOLC_SK)}, NOW),
    "oss1": Server("OSS1", "cn-hangzhou", "oss", {OSS_AK: Key(OSS_SK)}, NOW),
    "oss4": Server("OSS4", "cn-hangzhou", "oss", {OSS_AK: Key(OSS_SK)}, NOW),
}
SIGNERS: dict[str, dict[str, Any] | None] = {
    "api": {"scheme": "AWS4", "region": "us-east-1", "service": "execute-api"},
    "s3": {"scheme": "AWS4", "region": "us-west-2", "service": "s3", "s3": True},
    "imagex": {"scheme": "AWS4", "region": "cn-north-1", "service": "imagex", "signed_headers": ["x-amz-date", "x-amz-security-token"]},
    "cv": {"scheme": "VOLC", "region": "cn-north-1", "service": "cv"},
    "imagex-openapi": {"scheme": "VOLC", "region": "cn-north-1", "service": "ImageX"},
    "oss1": None,
    "oss4": {"scheme": "OSS4", "region": "cn-hangzhou", "service": "oss"},
}
CASES: list[dict[str, Any]] = []
NODE_JOBS: list[tuple[dict, dict]] = []


def creds(ak, sk, token=None, expires_at=None) -> dict:
    return {"access_key": ak, "secret_key": sk, "session_token": token, "expires_at": expires_at}


AWS = creds(AWS_AK, AWS_SK)
TMP = creds(TMP_AK, TMP_SK, TMP_TOKEN)
IX = creds(IX_AK, IX_SK, IX_TOKEN)
VOLC = creds(VOLC_AK, VOLC_SK)
OSS = creds(OSS_AK, OSS_SK)


def add(expected, server, producer, mistake, wire: P.Wire, given, *, now=NOW, response=None, signer="default",
        server_view: Server | None = None):
    sv = (server_view or SERVERS[server])._replace(now=now)
    verdict = verify(wire, sv)
    if response == "AWS-ECHO":      # the answer other AWS services give, from the server's view
        response = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                    "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
                    f"The Canonical String for this request should have been\n'{verdict.canonical_request}'\n\n"
                    f"The String-to-Sign should have been\n'{verdict.string_to_sign}'\n")
    if verdict.valid != (expected == "valid"):
        raise SystemExit(f"verifier disagrees with {expected!r} for {producer}: {mistake}: {verdict.why}\n{wire}")
    CASES.append({
        "id": f"{sv.scheme.lower()}-{len(CASES) + 1:03d}-{expected}", "scheme": sv.scheme + ("-S3" if sv.s3 else ""),
        "producer": producer, "mistake": mistake, "expected": expected,
        "request": {"method": wire.method, "url": wire.url, "headers": [list(h) for h in wire.headers],
                    "body_b64": base64.b64encode(wire.body).decode()},
        "creds": given, "signer": SIGNERS[server] if signer == "default" else signer,
        "now": now.isoformat(), "server_response": response,
        "verified": {"valid": verdict.valid, "by": verdict.why}})


def node(expected, server, lib, mistake, job, given, after=None, **kw):
    NODE_JOBS.append((job, {"expected": expected, "server": server, "lib": lib, "mistake": mistake, "given": given,
                            "after": after, **kw}))


def with_header(w: P.Wire, name, value) -> P.Wire:
    hs = [(k, v) for k, v in w.headers if k.lower() != name.lower()]
    return w._replace(headers=hs + ([(name, value)] if value is not None else []))


def hdr(w: P.Wire, name) -> str:
    return next(v for k, v in w.headers if k.lower() == name.lower())


def ts(at):
    return P.ts_of(at)


# ---- AWS4, generic services ----------------------------------------------------------------------------
def aws_generic():
    bc, a4a = "botocore SigV4Auth", "requests-aws4auth 1.4"
    get = (f"{API}/prod/items?limit=10&name=a%20b", [], b"")
    post = (f"{API}/prod/items", [("Content-Type", "application/json")], b'{"name": "x", "n": 1}')
    add("valid", "api", bc, "correct GET", P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT), AWS)
    add("valid", "api", bc, "correct POST with temporary credentials",
        P.botocore("POST", *post, TMP_AK, TMP_SK, TMP_TOKEN, "us-east-1", "execute-api", AT), TMP)
    add("valid", "api", a4a, "correct POST", P.aws4auth("POST", *post, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT), AWS)
    add("valid", "api", "botocore SigV4QueryAuth", "correct presigned GET",
        P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT, presign=600), AWS)
    add("wrong-region", "api", bc, "region us-west-2 for a us-east-1 endpoint",
        P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-west-2", "execute-api", AT), AWS)
    add("wrong-region", "api", a4a, "region eu-west-1", P.aws4auth("POST", *post, AWS_AK, AWS_SK, None, "eu-west-1", "execute-api", AT), AWS)
    add("wrong-service", "api", bc, "service apigateway instead of execute-api",
        P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "apigateway", AT), AWS)
    add("clock-skew", "api", bc, "client clock 20 min slow", P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT - 20 * MIN), AWS)
    add("scope-date-not-utc", "api", bc, "UTC+8 wall time written as UTC",
        P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT + dt.timedelta(hours=8)), AWS)
    add("secret-whitespace", "api", bc, "secret read from a file with its newline",
        P.botocore("GET", *get, AWS_AK, AWS_SK + "\n", None, "us-east-1", "execute-api", AT), AWS)
    add("secret-special-chars-mangled", "api", bc, "'+' in the secret URL-decoded to a space",
        P.botocore("GET", *get, AWS_AK, AWS_SK.replace("+", " "), None, "us-east-1", "execute-api", AT), AWS)
    add("access-key-secret-swapped", "api", a4a, "access key passed as the secret",
        P.aws4auth("POST", *post, AWS_AK, AWS_AK, None, "us-east-1", "execute-api", AT), AWS)
    add("secret-key-mismatch", "api", bc, "another key pair's secret",
        P.botocore("GET", *get, AWS_AK, OTHER_SK, None, "us-east-1", "execute-api", AT), AWS)
    add("secret-key-mismatch", "api", a4a, "rotated secret (no credentials given to diagnose, server echo)",
        P.aws4auth("POST", *post, AWS_AK, OTHER_SK, None, "us-east-1", "execute-api", AT), None,
        response="AWS-ECHO")
    add("invalid-access-key", "api", bc, "access key typo (AKIDEXAMPLF)",
        P.botocore("GET", *get, "AKIDEXAMPLF", AWS_SK, None, "us-east-1", "execute-api", AT), AWS)
    w = P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    add("query-param-added-after-signing", "api", bc, "cache buster appended after signing", w._replace(url=w.url + "&_=1741941000"), AWS)
    add("date-header-changed-after-signing", "api", bc, "retry interceptor rewrote X-Amz-Date (+5 s)",
        with_header(w, "X-Amz-Date", ts(AT + dt.timedelta(seconds=5))), AWS)
    wx = P.botocore("GET", f"{API}/prod/items", [("X-Request-Tag", "blue")], b"", AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    add("signed-header-missing", "api", bc, "signed X-Request-Tag stripped by a proxy", with_header(wx, "X-Request-Tag", None), AWS)
    wae = P.botocore("GET", f"{API}/prod/items", [("Accept-Encoding", "gzip")], b"", AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    add("hop-by-hop-header-signed", "api", bc, "accept-encoding signed, then rewritten by the transport",
        with_header(wae, "Accept-Encoding", "gzip, deflate"), AWS)
    wp = P.botocore("POST", *post, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    add("body-changed-after-signing", "api", bc, "JSON re-serialised compactly after signing", wp._replace(body=b'{"name":"x","n":1}'), AWS)
    wa = P.aws4auth("POST", *post, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    add("body-hash-mismatch", "api", a4a, "body replaced, x-amz-content-sha256 kept", wa._replace(body=b'{"name": "y", "n": 2}'), AWS)
    add("unsigned-payload-not-allowed", "api", bc, "UNSIGNED-PAYLOAD outside S3",
        P.botocore("POST", post[0], post[1] + [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")], post[2], AWS_AK, AWS_SK, None,
                   "us-east-1", "execute-api", AT), AWS)
    add("session-token-missing", "api", bc, "temporary key without its session token",
        P.botocore("GET", *get, TMP_AK, TMP_SK, None, "us-east-1", "execute-api", AT), TMP)
    add("expired-credentials", "api", bc, "temporary credentials past their expiry",
        P.botocore("GET", *get, TMP_AK, TMP_SK, TMP_TOKEN, "us-east-1", "execute-api", AT),
        creds(TMP_AK, TMP_SK, TMP_TOKEN, (AT - 5 * MIN).isoformat()),
        server_view=SERVERS["api"]._replace(keys={TMP_AK: Key(TMP_SK, TMP_TOKEN, expired=True)}))
    pre = P.botocore("GET", *get, AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT, presign=60)
    add("presigned-url-expired", "api", "botocore SigV4QueryAuth", "60 s URL used 10 min later", pre, AWS, now=AT + 10 * MIN)
    add("method-mismatch", "api", "botocore SigV4QueryAuth", "GET URL used with DELETE", pre._replace(method="DELETE"), AWS)
    add("path-normalization", "api", "botocore S3SigV4Auth", "S3 signer (no normalisation) used on a normalising service",
        P.botocore("GET", f"{API}/prod//items/./list", [], b"", AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT, s3=True), AWS)
    # node
    g = ("GET", get[0], [], b"", AWS_AK, AWS_SK, None, "us-east-1", "execute-api", AT)
    node("valid", "api", "npm aws4 1.13.2", "correct GET", P.node_job("aws4", *g), AWS)
    node("valid", "api", "@smithy/signature-v4 5.7.5", "correct GET", P.node_job("smithy", *g), AWS)
    node("valid", "api", "@smithy/signature-v4 5.7.5", "correct presigned GET", P.node_job("smithy", *g, presign=True, expires=300), AWS)
    node("wrong-region", "api", "npm aws4 1.13.2", "region us-west-1", P.node_job("aws4", *g[:7], "us-west-1", *g[8:]), AWS)
    node("wrong-region", "api", "@smithy/signature-v4 5.7.5", "default region us-west-2",
         P.node_job("smithy", *g[:7], "us-west-2", *g[8:]), AWS)
    node("clock-skew", "api", "@smithy/signature-v4 5.7.5", "clock 30 min fast",
         P.node_job("smithy", *g[:9], AT + 30 * MIN), AWS)
    node("secret-whitespace", "api", "npm aws4 1.13.2", "secret pasted with a leading space",
         P.node_job("aws4", *g[:5], " " + AWS_SK, *g[6:]), AWS)
    node("secret-key-mismatch", "api", "@smithy/signature-v4 5.7.5", "another key pair's secret",
         P.node_job("smithy", *g[:5], OTHER_SK, *g[6:]), AWS)
    node("invalid-access-key", "api", "npm aws4 1.13.2", "access key typo (AKIDEXAMPLf)",
         P.node_job("aws4", *g[:4], "AKIDEXAMPLf", *g[5:]), AWS)
    node("query-param-added-after-signing", "api", "@smithy/signature-v4 5.7.5", "tracking parameter appended",
         P.node_job("smithy", *g), AWS, after=lambda w: w._replace(url=w.url + "&utm_source=mail"))
    node("header-changed-after-signing", "api", "npm aws4 1.13.2", "'; charset=utf-8' appended to Content-Type",
         P.node_job("aws4", "POST", post[0], post[1], post[2], *g[4:]), AWS,
         after=lambda w: with_header(w, "Content-Type", "application/json; charset=utf-8"))
    node("path-double-encoded", "api", "@smithy/signature-v4 5.7.5", "uriEscapePath=false on a non-S3 service",
         P.node_job("smithy", "GET", f"{API}/prod/a%20b", [], b"", *g[4:], uriEscapePath=False), AWS)
    node("host-header-mismatch", "api", "npm aws4 1.13.2", "signed host:…:443, the client sends no port",
         P.node_job("aws4", *g, ), AWS, host_port=True)
    node("host-header-mismatch", "api", "@smithy/signature-v4 5.7.5", "signed without a port, sent with :443",
         P.node_job("smithy", *g), AWS, after=lambda w: with_header(w, "Host", hdr(w, "host") + ":443"))


def seed_aws(mistake, expected, *, query=None, headers=None, signed=None, cq=None, ts_text=None, scope_date=None,
             algorithm="AWS4-HMAC-SHA256", terminator="aws4_request", send_token=True, sign_values=None, given=IX):
    """The seed's aws_v4_sign (shared/seeds/000): Jimeng ApplyImageUpload, x-amz-date and the token signed."""
    params = dict(query or {"Action": "ApplyImageUpload", "Version": "2018-08-01", "ServiceId": "tb4s082cfz",
                            "FileSize": "12345"})
    t = ts_text or ts(AT)
    hs = headers if headers is not None else {"X-Amz-Date": t, "X-Amz-Security-Token": IX_TOKEN}
    sv = sign_values or hs
    names = signed if signed is not None else ";".join(sorted(k.lower() for k in sv))
    canon = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(sv.items(), key=lambda kv: kv[0].lower()))
    qs = cq if cq is not None else "&".join(f"{P.rfc3986(k)}={P.rfc3986(v)}" for k, v in sorted(params.items()))
    auth = P.seed_sign(method="GET", host="imagex.bytedanceapi.com", canonical_uri="/", canonical_query=qs,
                       canonical_headers=canon, signed_headers=names, payload_hash=P.sha256_hex(b""), ts=t,
                       scope_date=scope_date or t[:8], region="cn-north-1", service="imagex", sk=IX_SK, ak=IX_AK,
                       algorithm=algorithm, terminator=terminator)
    wire_headers = [("Host", "imagex.bytedanceapi.com"), *hs.items(), ("Authorization", auth)]
    if not send_token:
        wire_headers = [h for h in wire_headers if h[0] != "X-Amz-Security-Token"]
    url = "https://imagex.bytedanceapi.com/?" + urlencode(params)    # requests' params= encoding
    add(expected, "imagex", "hand-rolled (seed 000 aws_v4_sign)", mistake, P.Wire("GET", url, wire_headers, b""), given)


def aws_seed():
    seed_aws("as the seed signs it", "valid")
    seed_aws("query in insertion order", "query-not-sorted",
             cq="Action=ApplyImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz&FileSize=12345")
    q = {"Action": "ApplyImageUpload", "Version": "2018-08-01", "ServiceId": "tb4s082cfz", "StoreKeys": "a b.png"}
    seed_aws("query signed with form encoding (a+b)", "space-encoded-as-plus", query=q,
             cq="&".join(sorted(urlencode(q).split("&"))))
    q2 = {"Action": "ApplyImageUpload", "Version": "2018-08-01", "ServiceId": "tb4s082cfz", "Prefix": "dir/x:y"}
    seed_aws("values signed unencoded, as the seed's f'{k}={v}' does", "query-encoding-mismatch", query=q2,
             cq="&".join(f"{k}={v}" for k, v in sorted(q2.items())))
    seed_aws("token sent but only x-amz-date signed", "session-token-not-signed",
             sign_values={"X-Amz-Date": ts(AT)})
    seed_aws("scope date from yesterday's cached value", "date-header-mismatch", scope_date="20250313")
    seed_aws("X-Amz-Date written with dashes and colons", "date-format-invalid", ts_text="2025-03-14T08:30:00Z")
    seed_aws("algorithm HMAC-SHA256 (Volcengine's) on an AWS4 endpoint", "wrong-algorithm-string", algorithm="HMAC-SHA256")
    seed_aws("scope terminator 'request'", "wrong-scope-terminator", terminator="request")
    seed_aws("SignedHeaders written with capitals", "case-of-signed-headers", signed="X-Amz-Date;X-Amz-Security-Token")
    seed_aws("token signed, then dropped before sending", "signed-header-missing", send_token=False)
    hs = {"X-Amz-Date": ts(AT), "X-Amz-Security-Token": IX_TOKEN, "X-Amz-Meta-Note": "a   b "}
    seed_aws("header value signed untrimmed", "header-value-whitespace-not-trimmed", headers=hs)
    seed_aws("temporary key without its token", "session-token-missing",
             headers={"X-Amz-Date": ts(AT)})


# ---- AWS4, S3 ---------------------------------------------------------------------------------------------
def aws_s3():
    bc, bq = "botocore S3SigV4Auth", "botocore S3SigV4QueryAuth"
    key = quote("photos/summer 2024/a+b é.png", safe="/~")
    url = f"{S3H}/{key}"
    s3 = ("us-west-2", "s3")
    add("valid", "s3", bc, "correct GET, key with space, '+' and é", P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True), AWS)
    add("valid", "s3", bc, "correct PUT with Content-Type",
        P.botocore("PUT", url, [("Content-Type", "image/png")], b"PNGDATA", AWS_AK, AWS_SK, None, *s3, AT, s3=True), AWS)
    add("valid", "s3", bq, "correct presigned GET (UNSIGNED-PAYLOAD)", P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True, presign=3600), AWS)
    add("valid", "s3", bq, "correct presigned GET, temporary credentials",
        P.botocore("GET", url, [], b"", TMP_AK, TMP_SK, TMP_TOKEN, *s3, AT, s3=True, presign=900), TMP)
    add("valid", "s3", bc, "correct GET with // and ./ in the key (S3 keeps them)",
        P.botocore("GET", f"{S3H}/a//b/./c.txt", [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True), AWS)
    add("path-double-encoded", "s3", "botocore SigV4Auth", "generic signer on S3: %20 encoded again",
        P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, *s3, AT), AWS)
    add("path-normalization", "s3", "botocore SigV4Auth", "generic signer on S3: '//' and '.' normalised",
        P.botocore("GET", f"{S3H}/a//b/./c.txt", [("X-Amz-Content-SHA256", P.sha256_hex(b""))], b"", AWS_AK, AWS_SK, None, *s3, AT), AWS)
    add("plus-in-path", "s3", bc, "raw '+' in the key sent unencoded (S3 reads a space)",
        P.botocore("GET", f"{S3H}/docs/libstdc++-docs.tar", [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True), AWS)
    add("wrong-region", "s3", bc, "bucket in us-west-2 signed for us-east-1",
        P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, "us-east-1", "s3", AT, s3=True), AWS,
        response="<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; "
                 "the region 'us-east-1' is wrong; expecting 'us-west-2'</Message><Region>us-west-2</Region></Error>")
    add("wrong-region", "s3", bq, "presigned for us-east-1", P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, "us-east-1", "s3", AT, s3=True, presign=600), AWS)
    pre = P.botocore("GET", url, [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True, presign=300)
    add("presigned-url-expired", "s3", bq, "300 s URL used an hour later", pre, AWS, now=AT + 60 * MIN)
    add("query-param-added-after-signing", "s3", bq, "response-content-disposition appended",
        pre._replace(url=pre.url + "&response-content-disposition=attachment"), AWS)
    add("method-mismatch", "s3", bq, "GET URL used for PUT", pre._replace(method="PUT", body=b"data"), AWS)
    add("secret-key-mismatch", "s3", bq, "another pair's secret", P.botocore("GET", url, [], b"", AWS_AK, OTHER_SK, None, *s3, AT, s3=True, presign=300), AWS)
    add("invalid-access-key", "s3", bc, "access key typo, credentials given",
        P.botocore("GET", url, [], b"", "AKIDEXAMPLE0", AWS_SK, None, *s3, AT, s3=True), AWS)
    add("invalid-access-key", "s3", bc, "unknown key: the server's InvalidAccessKeyId, no credentials",
        P.botocore("GET", url, [], b"", "AKIAUNKNOWN1234", AWS_SK, None, *s3, AT, s3=True), None,
        response="<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist "
                 "in our records.</Message><AWSAccessKeyId>AKIAUNKNOWN1234</AWSAccessKeyId></Error>")
    wb = P.botocore("PUT", url, [("Content-Type", "image/png")], b"PNGDATA", AWS_AK, AWS_SK, None, *s3, AT, s3=True)
    add("body-hash-mismatch", "s3", bc, "file streamed after the hash of another body", wb._replace(body=b"OTHERDATA"), AWS)
    add("unsigned-header-present", "s3", bc, "x-amz-acl added after signing", with_header(wb, "x-amz-acl", "public-read"), AWS)
    add("header-changed-after-signing", "s3", bc, "Content-Type replaced by the HTTP client",
        with_header(wb, "Content-Type", "application/octet-stream"), AWS)
    wm = P.botocore("PUT", url, [("x-amz-meta-title", "café")], b"x", AWS_AK, AWS_SK, None, *s3, AT, s3=True)
    add("non-ascii-header-value", "s3", bc, "metadata sent as Latin-1 bytes read as UTF-8",
        with_header(wm, "x-amz-meta-title", "café".encode().decode("latin-1")), AWS)
    nfd = quote(unicodedata.normalize("NFD", "photos/café.png"), safe="/~")
    wn = P.botocore("GET", f"{S3H}/{nfd}", [], b"", AWS_AK, AWS_SK, None, *s3, AT, s3=True)
    add("unicode-normalization", "s3", bc, "NFD key signed, NFC sent",
        wn._replace(url=f"{S3H}/{quote(unicodedata.normalize('NFC', 'photos/café.png'), safe='/~')}"), AWS)
    # hand-rolled: lower-case percent hex (a JavaScript-style hex writer), the wire carries upper-case
    t = ts(AT)
    hs = [("Host", "examplebucket.s3.us-west-2.amazonaws.com"), ("X-Amz-Content-Sha256", P.sha256_hex(b"")), ("X-Amz-Date", t)]
    canon = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(hs, key=lambda kv: kv[0].lower()))
    auth = P.seed_sign(method="GET", host="", canonical_uri="/reports/2025%3aq1.csv", canonical_query="",
                       canonical_headers=canon, signed_headers="host;x-amz-content-sha256;x-amz-date",
                       payload_hash=P.sha256_hex(b""), ts=t, scope_date=t[:8], region="us-west-2", service="s3",
                       sk=AWS_SK, ak=AWS_AK)
    add("path-not-encoded", "s3", "hand-rolled (lower-case %xx hex)", "signed %3a, sent %3A",
        P.Wire("GET", f"{S3H}/reports/2025%3Aq1.csv", hs + [("Authorization", auth)], b""), AWS)
    s = ("GET", url, [], b"", AWS_AK, AWS_SK, None, *s3, AT)
    node("valid", "s3", "npm aws4 1.13.2", "correct S3 GET", P.node_job("aws4", *s), AWS)
    node("valid", "s3", "npm aws4 1.13.2", "correct S3 presigned GET", P.node_job("aws4", *s, presign=True, expires=600), AWS)
    node("valid", "s3", "@smithy/signature-v4 5.7.5", "correct S3 GET (uriEscapePath=false, as the S3 client)",
         P.node_job("smithy", *s, uriEscapePath=False), AWS)
    su = ("GET", url, [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], *s[3:])
    node("valid", "s3", "@smithy/signature-v4 5.7.5", "correct S3 presigned GET (UNSIGNED-PAYLOAD, as the S3 presigner)",
         P.node_job("smithy", *su, uriEscapePath=False, presign=True, expires=600), AWS)
    node("unsigned-payload-not-allowed", "s3", "@smithy/signature-v4 5.7.5",
         "S3 URL presigned without UNSIGNED-PAYLOAD (the empty body's hash signed)",
         P.node_job("smithy", *s, uriEscapePath=False, presign=True, expires=600), AWS)
    node("path-double-encoded", "s3", "@smithy/signature-v4 5.7.5", "uriEscapePath left true for S3",
         P.node_job("smithy", *s), AWS)
    node("host-header-mismatch", "s3", "npm aws4 1.13.2", "signed host with :443, sent without", P.node_job("aws4", *s), AWS, host_port=True)
    node("wrong-region", "s3", "npm aws4 1.13.2", "region us-east-1", P.node_job("aws4", *s[:7], "us-east-1", *s[8:]), AWS)
    node("secret-special-chars-mangled", "s3", "@smithy/signature-v4 5.7.5", "'/' lost from the secret by shell quoting",
         P.node_job("smithy", *s[:5], AWS_SK.replace("/", ""), *s[6:], uriEscapePath=False), AWS)


# ---- VOLC --------------------------------------------------------------------------------------------------
def volc():
    sdk = "volcengine SDK SignerV4"
    cvh = [("Content-Type", "application/json")]
    v = (CV, cvh, CV_BODY)
    add("valid", "cv", sdk, "correct CVProcess POST", P.volc_sdk("POST", *v, VOLC_AK, VOLC_SK, None, "cn-north-1", "cv", AT), VOLC)
    add("valid", "imagex-openapi", sdk, "correct ImageX GET", P.volc_sdk("GET", IMGX, [], b"", VOLC_AK, VOLC_SK, None, "cn-north-1", "ImageX", AT), VOLC)
    add("valid", "cv", sdk, "correct POST with temporary credentials",
        P.volc_sdk("POST", *v, IX_AK, IX_SK, IX_TOKEN, "cn-north-1", "cv", AT), IX)
    add("wrong-region", "cv", sdk, "region cn-beijing for CV", P.volc_sdk("POST", *v, VOLC_AK, VOLC_SK, None, "cn-beijing", "cv", AT), VOLC)
    add("wrong-service", "imagex-openapi", sdk, "service imagex (the AWS4 web flow's) on the OpenAPI",
        P.volc_sdk("GET", IMGX, [], b"", VOLC_AK, VOLC_SK, None, "cn-north-1", "imagex", AT), VOLC)
    add("clock-skew", "cv", sdk, "clock 30 min slow", P.volc_sdk("POST", *v, VOLC_AK, VOLC_SK, None, "cn-north-1", "cv", AT - 30 * MIN), VOLC)
    add("secret-whitespace", "cv", sdk, "secret with a trailing newline", P.volc_sdk("POST", *v, VOLC_AK, VOLC_SK + "\n", None, "cn-north-1", "cv", AT), VOLC)
    add("secret-key-mismatch", "cv", sdk, "another pair's secret", P.volc_sdk("POST", *v, VOLC_AK, OTHER_SK, None, "cn-north-1", "cv", AT), VOLC)
    add("secret-key-mismatch", "cv", sdk, "another pair's secret, gateway answer, no credentials",
        P.volc_sdk("POST", *v, VOLC_AK, OTHER_SK, None, "cn-north-1", "cv", AT), None,
        response=json.dumps({"ResponseMetadata": {"RequestId": "2025031408300001", "Action": "CVProcess", "Version": "2022-08-31",
                                                  "Service": "cv", "Region": "cn-north-1",
                                                  "Error": {"CodeN": 100010, "Code": "SignatureDoesNotMatch",
                                                            "Message": "The request signature we calculated does not match the signature you provided."}}}))
    add("access-key-secret-swapped", "cv", sdk, "AK used as SK", P.volc_sdk("POST", *v, VOLC_AK, VOLC_AK, None, "cn-north-1", "cv", AT), VOLC)
    add("invalid-access-key", "cv", sdk, "access key typo", P.volc_sdk("POST", *v, "AKLTexamp1e", VOLC_SK, None, "cn-north-1", "cv", AT), VOLC)
    add("invalid-access-key", "cv", sdk, "unknown key, gateway InvalidAccessKey, no credentials",
        P.volc_sdk("POST", *v, "AKLTunknown00", VOLC_SK, None, "cn-north-1", "cv", AT), None,
        response=json.dumps({"ResponseMetadata": {"RequestId": "2025031408300002", "Action": "CVProcess", "Version": "2022-08-31",
                                                  "Service": "cv", "Region": "cn-north-1",
                                                  "Error": {"CodeN": 100009, "Code": "InvalidAccessKey",
                                                            "Message": "The access key [AKLTunknown00] included in the request is invalid."}}}))
    w = P.volc_sdk("POST", *v, VOLC_AK, VOLC_SK, None, "cn-north-1", "cv", AT)
    add("header-changed-after-signing", "cv", sdk, "'; charset=utf-8' appended to Content-Type after signing",
        with_header(w, "Content-Type", "application/json; charset=utf-8"), VOLC)
    compact = json.dumps(json.loads(CV_BODY), separators=(",", ":")).encode()
    add("body-changed-after-signing", "cv", sdk, "body compacted and its hash recomputed after signing",
        with_header(w._replace(body=compact), "X-Content-Sha256", P.sha256_hex(compact)), VOLC)
    add("body-hash-mismatch", "cv", sdk, "body replaced, X-Content-Sha256 kept", w._replace(body=b'{"req_key": "other"}'), VOLC)
    add("query-param-added-after-signing", "cv", sdk, "parameter appended after signing", w._replace(url=w.url + "&debug=1"), VOLC)
    add("date-header-changed-after-signing", "cv", sdk, "X-Date rewritten +3 s", with_header(w, "X-Date", ts(AT + dt.timedelta(seconds=3))), VOLC)
    wg = P.volc_sdk("GET", IMGX, [], b"", VOLC_AK, VOLC_SK, None, "cn-north-1", "ImageX", AT)
    add("method-mismatch", "imagex-openapi", sdk, "signed as GET, sent as POST", wg._replace(method="POST"), VOLC)
    wx = P.volc_sdk("POST", CV, cvh + [("X-Trace-Id", "abc")], CV_BODY, VOLC_AK, VOLC_SK, None, "cn-north-1", "cv", AT)
    add("signed-header-missing", "cv", sdk, "signed X-Trace-Id dropped by a proxy", with_header(wx, "X-Trace-Id", None), VOLC)
    add("session-token-missing", "cv", sdk, "temporary AKTP key without its token",
        P.volc_sdk("POST", *v, IX_AK, IX_SK, None, "cn-north-1", "cv", AT), IX)
    # the seed's generate_volcengine_signature (shared/seeds/002) and its common slips
    for mistake, expected, kw in (
            ("as the seed signs it", "valid", {}),
            ("region cn-beijing", "wrong-region", {"region": "cn-beijing"}),
            ("UTC+8 local time written with Z", "scope-date-not-utc", {"at": AT + dt.timedelta(hours=8)}),
            ("scope date one day behind X-Date", "date-header-mismatch", {"scope_date": "20250313"}),
            ("SignedHeaders in header case", "case-of-signed-headers", {"signed": "Content-Type;Host;X-Content-Sha256;X-Date"}),
            ("host left out of SignedHeaders", "volc-host-or-date-not-signed", {"drop": "host"}),
            ("terminator aws4_request", "wrong-scope-terminator", {"terminator": "aws4_request"}),
            ("algorithm AWS4-HMAC-SHA256", "wrong-algorithm-string", {"algorithm": "AWS4-HMAC-SHA256"}),
            ("X-Date written as ISO 8601 with dashes", "date-format-invalid", {"ts_text": "2025-03-14T08:30:00Z"}),
            ("query signed in insertion order", "query-not-sorted", {"url": CV + "&ReqKey=a", "cq": "Action=CVProcess&Version=2022-08-31&ReqKey=a"}),
            ("query signed with quote_plus", "space-encoded-as-plus", {"url": CV + "&Note=a%20b", "cq": "Action=CVProcess&Note=a+b&Version=2022-08-31"}),
            ("token sent, not signed", "session-token-not-signed", {"token": IX_TOKEN}),
            ("signed host with :443, sent without", "host-header-mismatch", {"signed_host": "visual.volcengineapi.com:443"}),
            ("Content-Type trimmed when signing, sent with a trailing space", "header-value-whitespace-not-trimmed",
             {"ct_sent": "application/json "}),
    ):
        seed_volc(mistake, expected, **kw)


def seed_volc(mistake, expected, *, region="cn-north-1", at=AT, scope_date=None, signed=None, drop=None,
              terminator="request", algorithm="HMAC-SHA256", ts_text=None, url=CV, cq=None, token=None,
              signed_host=None, ct_sent=None):
    host = "visual.volcengineapi.com"
    t = ts_text or ts(at)
    body_hash = P.sha256_hex(CV_BODY)
    ct = "application/json"
    hs = {"content-type": ct, "host": signed_host or host, "x-content-sha256": body_hash, "x-date": t}
    if drop:
        hs.pop(drop)
    names = ";".join(sorted(hs))
    canon = "".join(f"{k}:{v}\n" for k, v in sorted(hs.items()))
    query = cq if cq is not None else "Action=CVProcess&Version=2022-08-31"
    sk, ak = (IX_SK, IX_AK) if token else (VOLC_SK, VOLC_AK)
    auth = P.seed_sign(method="POST", host=host, canonical_uri="/", canonical_query=query, canonical_headers=canon,
                       signed_headers=signed or names, payload_hash=body_hash, ts=t, scope_date=scope_date or t[:8],
                       region=region, service="cv", sk=sk, ak=ak, algorithm=algorithm, terminator=terminator, key_prefix="")
    headers = [("Host", host), ("Content-Type", ct_sent or ct), ("X-Content-Sha256", body_hash), ("X-Date", t),
               *([("X-Security-Token", token)] if token else []), ("Authorization", auth)]
    add(expected, "cv", "hand-rolled (seed 002 generate_volcengine_signature)", mistake,
        P.Wire("POST", url, headers, CV_BODY), IX if token else VOLC)


# ---- OSS V1 and V4 --------------------------------------------------------------------------------------------
def oss():
    a1, a4 = "oss2 Auth (V1)", "oss2 ProviderAuthV4"
    key = "photos/cat 1.jpg"
    png = [("Content-Type", "image/png")]
    r4 = "cn-hangzhou"
    add("valid", "oss1", a1, "correct GET", P.oss2_header(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT), OSS)
    add("valid", "oss1", a1, "correct PUT with Content-Type", P.oss2_header(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "PUT", png, b"PNG", AT), OSS)
    add("valid", "oss1", "oss2 Bucket.sign_url (V1)", "correct signed URL with x-oss-process",
        P.oss2_url(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", 600, {"x-oss-process": "image/resize,w_100"}, AT), OSS)
    u = P.oss2_url(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", 600, {}, AT)
    add("oss-subresource-not-signed", "oss1", "oss2 Bucket.sign_url (V1)", "x-oss-process appended to a signed URL",
        u._replace(url=u.url + "&x-oss-process=image%2Fresize%2Cw_100"), OSS)
    add("presigned-url-expired", "oss1", "oss2 Bucket.sign_url (V1)", "used 20 min after a 600 s expiry", u, OSS, now=AT + 20 * MIN)
    add("method-mismatch", "oss1", "oss2 Bucket.sign_url (V1)", "GET URL used for PUT", u._replace(method="PUT", body=b"x"), OSS)
    add("session-token-not-signed", "oss1", "oss2 Bucket.sign_url (V1)", "security-token appended after signing",
        u._replace(url=u.url + "&security-token=CAIS" + "x" * 20),
        creds(OSS_AK, OSS_SK, "CAIS" + "x" * 20), server_view=SERVERS["oss1"]._replace(keys={OSS_AK: Key(OSS_SK, "CAIS" + "x" * 20)}))
    for i in range(200):                         # a URL whose signature has a '+', sent raw
        ui = P.oss2_url(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, f"photos/img{i}.jpg", "GET", 600, {}, AT)
        sig = ui.url.rpartition("Signature=")[2]
        if "%2B" in sig:
            add("signature-not-url-encoded", "oss1", "oss2 Bucket.sign_url (V1)", "Signature pasted with its '+' decoded",
                ui._replace(url=ui.url.replace(sig, sig.replace("%2B", "+").replace("%2F", "/").replace("%3D", "="))), OSS)
            break
    add("secret-key-mismatch", "oss1", a1, "another pair's secret", P.oss2_header(1, OSS_AK, OTHER_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT), OSS)
    # (oss2 strips the secret's surrounding whitespace itself, so the V1 slip is the shell's '+' -> ' ')
    add("secret-special-chars-mangled", "oss1", a1, "'+' in the secret turned into a space",
        P.oss2_header(1, OSS_AK, OSS_SK.replace("+", " "), None, OSS_EP, BUCKET, key, "GET", [], b"", AT), OSS)
    add("clock-skew", "oss1", a1, "clock 20 min fast", P.oss2_header(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT + 20 * MIN), OSS)
    h = P.oss2_header(1, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "PUT", [], b"PNG", AT)
    add("oss-content-md5-or-type-mismatch", "oss1", a1, "signed without Content-Type, the client adds one",
        with_header(h, "Content-Type", "application/octet-stream"), OSS)
    add("unsigned-header-present", "oss1", a1, "x-oss-meta-owner added after signing", with_header(h, "x-oss-meta-owner", "me"), OSS)
    from email.utils import formatdate
    add("date-header-changed-after-signing", "oss1", a1, "Date regenerated 4 s later by a retry",
        with_header(h, "date", formatdate(AT.timestamp() + 4, usegmt=True)), OSS)
    add("invalid-access-key", "oss1", a1, "unknown AccessKeyId, OSS answer, no credentials",
        P.oss2_header(1, "LTAI5tUNKNOWN", OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT), None,
        response="<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidAccessKeyId</Code><Message>The OSS Access Key Id "
                 "you provided does not exist in our records.</Message><OSSAccessKeyId>LTAI5tUNKNOWN</OSSAccessKeyId></Error>")
    # hand-rolled V1 (the documentation's recipe)
    date = formatdate(AT.timestamp(), usegmt=True)
    okey = "报告 1.png"
    enc = quote(okey)
    for mistake, expected, resource, dt_text in (
            ("resource signed with the URL-encoded key", "oss-resource-key-encoded", f"/{BUCKET}/{enc}", date),
            ("resource without the bucket", "oss-bucket-in-resource", f"/{okey}", date),
            ("Date in ISO 8601", "date-format-invalid", f"/{BUCKET}/{okey}", "2025-03-14T08:30:00Z"),
            ("as documented", "valid", f"/{BUCKET}/{okey}", date)):
        sig = P.seed_oss1("GET", "", "", dt_text, [], resource, OSS_SK)
        add(expected, "oss1", "hand-rolled OSS V1 (documentation)", mistake,
            P.Wire("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/{enc}",
                   [("Host", f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"), ("Date", dt_text), ("Authorization", f"OSS {OSS_AK}:{sig}")], b""), OSS)
    # V4
    add("valid", "oss4", a4, "correct GET", P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT, region=r4), OSS)
    add("valid", "oss4", "oss2 Bucket.sign_url (V4)", "correct signed URL with x-oss-process",
        P.oss2_url(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", 600, {"x-oss-process": "image/resize,w_100"}, AT, region=r4), OSS)
    add("wrong-region", "oss4", a4, "region cn-beijing against a Hangzhou endpoint",
        P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT, region="cn-beijing"), OSS)
    add("wrong-region", "oss4", "oss2 Bucket.sign_url (V4)", "region written oss-cn-hangzhou",
        P.oss2_url(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", 600, {}, AT, region="oss-cn-hangzhou"), OSS)
    add("secret-key-mismatch", "oss4", a4, "another pair's secret", P.oss2_header(4, OSS_AK, OTHER_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT, region=r4), OSS)
    add("clock-skew", "oss4", a4, "clock 40 min slow", P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [], b"", AT - 40 * MIN, region=r4), OSS)
    u4 = P.oss2_url(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", 600, {}, AT, region=r4)
    add("query-param-added-after-signing", "oss4", "oss2 Bucket.sign_url (V4)", "x-oss-process appended (V4 signs every parameter)",
        u4._replace(url=u4.url + "&x-oss-process=image%2Fresize%2Cw_100"), OSS)
    add("presigned-url-expired", "oss4", "oss2 Bucket.sign_url (V4)", "used after its 600 s", u4, OSS, now=AT + 15 * MIN)
    h4 = P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "PUT", [], b"PNG", AT, region=r4)
    add("oss-content-md5-or-type-mismatch", "oss4", a4, "signed without Content-Type, sent with one", with_header(h4, "Content-Type", "image/png"), OSS)
    hm = P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "PUT", [("x-oss-meta-owner", "me")], b"PNG", AT, region=r4)
    add("header-changed-after-signing", "oss4", a4, "x-oss-meta-owner changed after signing", with_header(hm, "x-oss-meta-owner", "you"), OSS)
    ha = P.oss2_header(4, OSS_AK, OSS_SK, None, OSS_EP, BUCKET, key, "GET", [("Range", "bytes=0-99")], b"", AT, region=r4, additional=["range"])
    add("signed-header-missing", "oss4", a4, "additional header Range dropped", with_header(ha, "Range", None), OSS)
    t = ts(AT)
    curi = "/" + BUCKET + "/" + quote(key, safe="/")
    base_h = [("x-oss-content-sha256", "UNSIGNED-PAYLOAD"), ("x-oss-date", t)]
    for mistake, expected, scope_date, hs in (
            ("credential date written 2025-03-14", "date-format-invalid", "2025-03-14", base_h),
            ("x-oss-content-sha256 set to the body hash", "unsigned-payload-not-allowed", t[:8],
             [("x-oss-content-sha256", P.sha256_hex(b"")), ("x-oss-date", t)]),
            ("as documented", "valid", t[:8], base_h)):
        payload = dict(hs)["x-oss-content-sha256"]
        auth = P.seed_oss4(method="GET", canonical_uri=curi, canonical_query="", headers=hs, additional=[], ts=t,
                           scope_date=scope_date, region=r4, sk=OSS_SK, ak=OSS_AK, payload=payload)
        add(expected, "oss4", "hand-rolled OSS V4 (documentation)", mistake,
            P.Wire("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/{quote(key)}",
                   [("Host", f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"), *hs, ("Authorization", auth)], b""), OSS)


def run_node():
    if not NODE_JOBS:
        return
    if not P.node_available():
        raise SystemExit("the node signers are missing: cd tests/data/node && npm install --no-package-lock")
    jobs = []
    for job, meta in NODE_JOBS:
        if meta.get("host_port"):
            job = {**job, "host": job["host"] + ":443"}
        jobs.append(job)
    for (job, meta), w in zip(NODE_JOBS, P.node(jobs), strict=True):
        if meta.get("host_port"):           # the HTTP client drops the default port from Host and URL
            w = with_header(w._replace(url=w.url.replace(":443/", "/", 1)), "Host", job["host"].removesuffix(":443"))
        if meta["after"]:
            w = meta["after"](w)
        add(meta["expected"], meta["server"], meta["lib"], meta["mistake"], w, meta["given"])


def main() -> None:
    aws_generic()
    aws_seed()
    aws_s3()
    volc()
    oss()
    run_node()
    ids = {c["expected"] for c in CASES} - {"valid"}
    valid = sum(c["expected"] == "valid" for c in CASES)
    OUT.write_text(json.dumps({"about": __doc__.split("\n\n")[0], "cases": CASES}, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(CASES)} cases, {len(ids)} catalogue ids, {valid} valid -> {OUT}")


if __name__ == "__main__":
    main()

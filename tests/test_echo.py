"""parse_echo: S3 XML (with …Bytes), OSS XML, AWS text, Volcengine envelope, emulator teaching echo."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import imgx_kit as ik
from imgx_kit.core.echo import ServerEcho, parse_echo

CR = "GET\n/\nAction=A&Version=1\nhost:h\nx-amz-date:20250101T000000Z\n\nhost;x-amz-date\ne3b0"
STS = "AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/us-east-1/s3/aws4_request\nabcd"


def _bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode())


def test_s3_xml_prefers_the_byte_dumps() -> None:
    cr_crlf = CR.replace("\n/\n", "\r\n/\n")           # an invisible difference only the bytes show
    xml = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>"
           f"<AWSAccessKeyId>AKID</AWSAccessKeyId><StringToSign>{STS}</StringToSign>"
           f"<SignatureProvided>ff</SignatureProvided><StringToSignBytes>{_bytes(STS)}</StringToSignBytes>"
           f"<CanonicalRequest>{CR.replace('&', '&amp;')}</CanonicalRequest>"
           f"<CanonicalRequestBytes>{_bytes(cr_crlf)}</CanonicalRequestBytes><RequestId>R1</RequestId></Error>")
    e = parse_echo(xml.encode())
    assert (e.source, e.code, e.access_key, e.signature_provided, e.request_id) == \
        ("s3-xml", "SignatureDoesNotMatch", "AKID", "ff", "R1")
    assert e.canonical_request == cr_crlf
    assert e["string_to_sign"] == STS
    assert list(e) == ["canonical_uri", "canonical_query", "canonical_headers", "signed_headers", "payload_hash",
                       "canonical_request", "string_to_sign"]
    assert e["canonical_headers"] == "host:h\nx-amz-date:20250101T000000Z\n"
    assert e["signed_headers"] == "host;x-amz-date"


def test_s3_structured_errors_keep_their_details() -> None:
    e = parse_echo("<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20250101T002000Z</RequestTime>"
                   "<ServerTime>2025-01-01T00:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>")
    assert e.server_time == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert e.detail("maxallowedskewmilliseconds") == "900000"
    e2 = parse_echo("<Error><Code>AuthorizationHeaderMalformed</Code><Region>cn-north-1</Region></Error>")
    assert e2.region == "cn-north-1" and len(e2) == 0 and not e2.has_canonical


def test_oss_xml() -> None:
    e = parse_echo("<Error><Code>SignatureDoesNotMatch</Code><OSSAccessKeyId>LTAI</OSSAccessKeyId>"
                   "<StringToSign>GET\n\n\n1704070800\n/examplebucket/a.jpg</StringToSign><EC>0002-00000040</EC></Error>")
    assert (e.source, e.access_key, e.detail("EC")) == ("oss-xml", "LTAI", "0002-00000040")
    assert dict(e) == {"string_to_sign": "GET\n\n\n1704070800\n/examplebucket/a.jpg"}


def test_volc_envelope_and_teaching_echo() -> None:
    env = {"ResponseMetadata": {"RequestId": "R", "Action": "CVProcess", "Service": "cv", "Region": "cn-beijing",
                                "Error": {"CodeN": 100010, "Code": "SignatureDoesNotMatch", "Message": "m"}}}
    e = parse_echo(env)
    assert (e.source, e.code, e.code_n, e.region, e.service, len(e)) == \
        ("volc-json", "SignatureDoesNotMatch", 100010, "cn-beijing", "cv", 0)
    env["ResponseMetadata"]["Error"]["Teaching"] = {"Scheme": "VOLC", "CanonicalRequest": CR, "StringToSign": STS,
                                                    "SignedHeaders": "host;x-amz-date", "Reason": "signature"}
    t = parse_echo(__import__("json").dumps(env))
    assert (t.source, t.scheme, t.reason) == ("emulator-teaching", "VOLC", "signature")
    assert t["canonical_request"] == CR and t["signed_headers"] == "host;x-amz-date"


def test_raw_http_response_and_aws_text() -> None:
    raw = ("HTTP/1.1 403 Forbidden\r\nDate: Wed, 01 Jan 2025 00:00:05 GMT\r\nContent-Type: application/json\r\n\r\n"
           '{"ResponseMetadata": {"Error": {"Code": "InvalidTimestamp", "CodeN": 100006, "Message": "expired"}}}')
    e = parse_echo(raw)
    assert (e.status, e.code) == (403, "InvalidTimestamp")
    assert e.server_time == datetime(2025, 1, 1, 0, 0, 5, tzinfo=timezone.utc)
    text = (f"The request signature we calculated does not match. The Canonical String for this request should have "
            f"been '{CR}' The String-to-Sign should have been '{STS}'")
    a = parse_echo(text)
    assert a.source == "aws-text" and a["canonical_request"] == CR and a["string_to_sign"] == STS


def test_a_trace_diffs_against_an_echo() -> None:
    s = ik.Signer(ik.AWS4, "us-east-1", "s3")
    t = s.sign(ik.HttpRequest.build("GET", "https://h/?b=1&a=2"), ik.Credentials("AK", "SK"),
               at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    echo = parse_echo({"ResponseMetadata": {"Error": {"Code": "SignatureDoesNotMatch", "Teaching": {
        "Scheme": "AWS4", "CanonicalRequest": t.canonical_request.replace("a=2&b=1", "b=1&a=2"),
        "StringToSign": t.string_to_sign}}}})
    d = t.diff(echo)
    assert d.step == "canonical_query"
    assert (d.ours, d.theirs) == ("a=2&b=1", "b=1&a=2")


@pytest.mark.parametrize("bad,msg", [
    ("", "empty"), ("{broken", "line 1 column 2"), ("<Error><Code>x</Error>", "line 1"),
    ("plain words", "neither JSON nor XML"), ('{"a": 1}', "no ResponseMetadata"), (b"\xff\xfe", "UTF-8"),
    (42, "type int"), ("[1, 2]", "not an object"),
])
def test_malformed_echoes(bad, msg) -> None:
    with pytest.raises(ik.DiagnoseError, match=msg):
        parse_echo(bad)


def test_views() -> None:
    e = parse_echo("<Error><Code>SignatureDoesNotMatch</Code><StringToSign>a b\nc</StringToSign></Error>")
    assert isinstance(e, ServerEcho)
    assert "SignatureDoesNotMatch" in repr(e) and "a b\\nc" in repr(e)
    assert "·" in e._repr_html_()

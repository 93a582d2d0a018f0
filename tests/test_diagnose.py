"""diagnose(): every catalogue cause, generated programmatically per scheme, is named; the
accuracy table; structural checks without the secret; echoes; errors; no secret ever shown."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from html import escape

import pytest

import imgx_kit as ik
from imgx_kit.core.diagnose import CATALOGUE, Cause, Diagnosis, applies, detect_scheme

from diagnose_scenarios import (
    APPLY,
    AT,
    CV,
    CV_CREDS,
    IX_CREDS,
    JIMENG,
    S3,
    S3_CREDS,
    Scenario,
    apply_req,
    cv_req,
    scenario_scheme,
    scenarios,
)
from imgx_testing import CANARY_SECRET, CANARY_TOKEN

SCENARIOS = scenarios()


def _run(sc: Scenario) -> Diagnosis:
    return ik.diagnose(sc.sent, sc.creds, signer=sc.signer, server_response=sc.response, now=sc.now)


@pytest.mark.parametrize("sc", SCENARIOS, ids=[f"{s.expected}|{s.label}" for s in SCENARIOS])
def test_scenario_names_the_cause(sc: Scenario) -> None:
    d = _run(sc)
    assert d.verdict == "mismatch"
    assert d.causes[0].id == sc.expected, d
    wrong_high = [c.id for c in d.causes if c.confidence == "high" and c.id not in (sc.expected, *sc.also)]
    assert wrong_high == []


def test_accuracy_table(capsys) -> None:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_scheme: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    wrong_high = []
    for sc in SCENARIOS:
        d = _run(sc)
        ids = d.cause_ids()
        bad = [c.id for c in d.causes if c.confidence == "high" and c.id not in (sc.expected, *sc.also)]
        for row in (per[sc.expected], per_scheme[scenario_scheme(sc)]):
            row[0] += 1
            row[1] += ids[:1] == [sc.expected]
            row[2] += sc.expected in ids[:3]
            row[3] += bool(bad)
        wrong_high += bad
    n = sum(r[0] for r in per.values())
    top1 = sum(r[1] for r in per.values()) / n
    top3 = sum(r[2] for r in per.values()) / n
    with capsys.disabled():
        print(f"\n{'cause':40} {'n':>3} {'top1':>5} {'top3':>5} {'wrongH':>6}")
        for cid in sorted(per):
            r = per[cid]
            print(f"{cid:40} {r[0]:>3} {r[1]:>5} {r[2]:>5} {r[3]:>6}")
        for sch in SCHEMES:
            r = per_scheme[sch]
            print(f"{'scheme ' + sch:40} {r[0]:>3} {r[1]:>5} {r[2]:>5} {r[3]:>6}")
        print(f"{'overall':40} {n:>3} {top1:>5.1%} {top3:>5.1%} {len(wrong_high):>6}")
    assert top1 >= 0.90
    assert top3 >= 0.98
    assert wrong_high == []


SCHEMES = ("AWS4", "VOLC", "OSS1", "OSS4")


def test_every_catalogue_cause_is_generated() -> None:
    generated = {sc.expected for sc in SCENARIOS}
    assert set(CATALOGUE) - generated == set()


def test_every_scheme_is_exercised() -> None:
    assert {scenario_scheme(sc) for sc in SCENARIOS} == set(SCHEMES)


def test_every_applicable_cause_scheme_pair_has_a_scenario() -> None:
    """Coverage is exactly the applicability table: each (cause, scheme) that applies() has a
    generated broken request, and no scenario claims a pair the catalogue rules out."""
    applicable = {(cid, sch) for cid in CATALOGUE for sch in SCHEMES if applies(cid, sch)}
    generated = {(sc.expected, scenario_scheme(sc)) for sc in SCENARIOS}
    assert sorted(applicable - generated) == []
    assert sorted(generated - applicable) == []
    assert len(applicable) == 139


def test_narrowed_applicability() -> None:
    # OSS V1 has no signed-header list, so its order or case cannot be wrong
    assert not applies("case-of-signed-headers", "OSS1")
    assert [s for s in SCHEMES if applies("case-of-signed-headers", s)] == ["AWS4", "VOLC", "OSS4"]


# ---- valid requests ------------------------------------------------------------------------------
@pytest.mark.parametrize("signer,req,creds", [
    (JIMENG, apply_req(), IX_CREDS),
    (CV, cv_req(), CV_CREDS),
    (S3, ik.HttpRequest.build("PUT", "https://examplebucket.s3.us-east-1.amazonaws.com/a%20b.png", body=b"x"),
     S3_CREDS),
])
def test_valid_request_is_valid(signer, req, creds) -> None:
    d = ik.diagnose(signer.sign(req, creds, at=AT).signed_request, creds, signer=signer, now=AT)
    assert d.verdict == "valid"
    assert [c for c in d.causes if c.confidence == "high"] == []
    assert d.expected is not None and d.expected.signature == d.sent_signature


def test_valid_presigned_and_oss_urls() -> None:
    from imgx_kit.core import oss_sign
    pre = S3.presign(ik.HttpRequest.build("GET", "https://examplebucket.s3.us-east-1.amazonaws.com/x"), S3_CREDS,
                     expires=600, at=AT)
    assert ik.diagnose(pre.signed_request, S3_CREDS, signer=S3, now=AT).verdict == "valid"
    oc = ik.Credentials("LTAI5tEXAMPLEAK", "EXAMPLESECRET")
    for v, region in ((1, None), (4, "cn-hangzhou")):
        u = oss_sign.sign_url("examplebucket", "photos/cat 1.jpg", "https://oss-cn-hangzhou.aliyuncs.com", oc, 600,
                              process="image/resize,w_100", version=v, region=region, at=AT)
        d = ik.diagnose(u.signed_request, oc, now=AT)
        assert (d.scheme, d.verdict) == (f"OSS{v}", "valid")


def test_without_signer_scope_comes_from_the_request() -> None:
    t = CV.sign(cv_req(), CV_CREDS, at=AT)
    d = ik.diagnose(t.signed_request, CV_CREDS, now=AT)
    assert d.verdict == "valid"
    assert d.expected.credential_scope == "20250101/cn-north-1/cv/request"
    assert "endpoint table" in d.expectation


# ---- no secret: structural checks, and say what was not checked ------------------------------------
def test_without_secret_cannot_check_and_says_why() -> None:
    t = JIMENG.sign(apply_req(), IX_CREDS, at=AT)
    d = ik.diagnose(t.signed_request, None, signer=JIMENG, now=AT)
    assert d.verdict == "cannot-check"
    assert d.causes == ()
    assert d.expected is None
    assert any("pass the credentials" in x for x in d.not_checked)
    assert any("clock skew" in x for x in d.checked)


def test_without_secret_structure_is_still_checked() -> None:
    t = JIMENG.sign(apply_req(), IX_CREDS, at=AT)
    sent = t.signed_request.with_header("Authorization", t.authorization.replace("/aws4_request", "/request"))
    d = ik.diagnose(sent, None, signer=JIMENG, now=AT + timedelta(minutes=40))
    assert d.verdict == "mismatch"
    assert d.cause_ids()[:2] == ["wrong-scope-terminator", "clock-skew"]


def test_residual_secret_is_never_high_confidence() -> None:
    other = ik.Credentials("AKLTexample", "b3RoZXI=")
    d = ik.diagnose(CV.sign(cv_req(), other, at=AT).signed_request, CV_CREDS, signer=CV, now=AT)
    assert d.cause_ids() == ["secret-key-mismatch"]
    assert d.causes[0].confidence == "low"


def test_now_defaults_to_the_response_date_else_unchecked() -> None:
    sent = JIMENG.sign(apply_req(), IX_CREDS, at=AT - timedelta(minutes=20)).signed_request
    d = ik.diagnose(sent, IX_CREDS, signer=JIMENG)
    assert d.verdict == "valid" and any("clock skew" in x for x in d.not_checked)
    raw = ("HTTP/1.1 401 Unauthorized\r\nDate: Wed, 01 Jan 2025 00:00:00 GMT\r\n\r\n"
           '{"ResponseMetadata": {"Error": {"Code": "InvalidTimestamp", "CodeN": 100006, "Message": "expired"}}}')
    d2 = ik.diagnose(sent, IX_CREDS, signer=JIMENG, server_response=raw)
    assert d2.causes[0].id == "clock-skew"
    assert "the server's time" in d2.causes[0].evidence


# ---- echo ----------------------------------------------------------------------------------------
def test_echo_equal_to_ours_points_at_the_key() -> None:
    other = ik.Credentials("AKLTexample", "b3RoZXI=")
    sent = CV.sign(cv_req(), other, at=AT)
    echo = {"ResponseMetadata": {"Error": {"Code": "SignatureDoesNotMatch", "CodeN": 100010, "Message": "…",
                                           "Teaching": {"Scheme": "VOLC", "CanonicalRequest": sent.canonical_request,
                                                        "StringToSign": sent.string_to_sign,
                                                        "SignedHeaders": sent.signed_headers, "Reason": "signature"}}}}
    d = ik.diagnose(sent.signed_request, CV_CREDS, signer=CV, server_response=echo, now=AT)
    assert d.server is not None and d.server.source == "emulator-teaching"
    assert d.diff is not None and d.diff.same
    assert d.causes[0].id == "secret-key-mismatch" and d.causes[0].confidence == "medium"


def test_echo_first_differing_step_without_secret() -> None:
    t = JIMENG.sign(apply_req(), IX_CREDS, at=AT)
    sent = t.signed_request.with_url(APPLY + "&t=1")
    xml = (f"<Error><Code>SignatureDoesNotMatch</Code>"
           f"<CanonicalRequest>{escape(t.canonical_request)}</CanonicalRequest>"
           f"<StringToSign>{t.string_to_sign}</StringToSign></Error>")
    d = ik.diagnose(sent, None, signer=JIMENG, server_response=xml, now=AT)
    assert d.first_differing_step == "canonical_query"
    assert d.verdict == "cannot-check"
    assert d.causes[0].id == "query-not-sorted" and d.causes[0].confidence == "medium"


def test_hypothesis_gives_the_first_differing_step() -> None:
    t = JIMENG.sign(apply_req(), IX_CREDS, at=AT)
    d = ik.diagnose(t.signed_request.with_header("x-amz-date", "20250101T000005Z"), IX_CREDS, signer=JIMENG, now=AT)
    assert d.first_differing_step == "canonical_headers"
    assert d.diff.line == (1, "x-amz-date:20250101T000005Z", "x-amz-date:20250101T000000Z")


# ---- scheme detection and malformed input ----------------------------------------------------------
def test_detect_scheme() -> None:
    assert detect_scheme(JIMENG.sign(apply_req(), IX_CREDS, at=AT).signed_request) == ("AWS4", False)
    assert detect_scheme(CV.presign(ik.HttpRequest.build("GET", "https://visual.volcengineapi.com/?Action=A"),
                                    CV_CREDS, at=AT).signed_request) == ("VOLC", True)
    t = JIMENG.sign(apply_req(), IX_CREDS, at=AT)
    wrong_alg = t.signed_request.with_header("Authorization",
                                             t.authorization.replace("AWS4-HMAC-SHA256", "HMAC-SHA256"))
    assert detect_scheme(wrong_alg) == ("AWS4", False)       # terminator and x-amz-date outvote the algorithm


@pytest.mark.parametrize("auth,where", [
    ("AWS4-HMAC-SHA256 Credential=AK/20250101, Signature=ab", "Credential="),
    ("garbage", "overall shape"),
    ("OSS nocolon", "OSS AccessKeyId:Signature"),
])
def test_unparseable_authorization(auth: str, where: str) -> None:
    req = ik.HttpRequest.build("GET", "https://h/", {"Authorization": auth})
    with pytest.raises(ik.DiagnoseError) as e:
        ik.diagnose(req)
    assert where in str(e.value)


def test_unsigned_request_and_bad_arguments() -> None:
    with pytest.raises(ik.DiagnoseError, match="carries no signature"):
        ik.diagnose(ik.HttpRequest.build("GET", "https://h/?a=1"))
    with pytest.raises(ik.DiagnoseError, match="HttpRequest"):
        ik.diagnose("curl https://h/")
    sent = JIMENG.sign(apply_req(), IX_CREDS, at=AT).signed_request
    with pytest.raises(ik.DiagnoseError, match="signer must be"):
        ik.diagnose(sent, IX_CREDS, signer="AWS4")
    with pytest.raises(ik.DiagnoseError, match="naive"):
        from datetime import datetime
        ik.diagnose(sent, IX_CREDS, now=datetime(2025, 1, 1))
    with pytest.raises(ik.DiagnoseError, match="X-Amz-Credential"):
        ik.diagnose(ik.HttpRequest.build("GET", "https://h/?X-Amz-Credential=AK%2F2025&X-Amz-Signature=ab"))
    with pytest.raises(ik.DiagnoseError, match="does not parse"):
        ik.diagnose(sent, IX_CREDS, server_response="{not json")


# ---- secrets never shown ---------------------------------------------------------------------------
def _all_views(d: Diagnosis) -> str:
    return "\n".join([repr(d), str(d), d._repr_html_(), d.to_json(), repr(d.causes),
                      repr(d.expected) if d.expected else "", d.expected._repr_html_() if d.expected else "",
                      repr(d.diff), d.diff._repr_html_() if d.diff else ""])


@pytest.mark.parametrize("fault", ["none", "secret", "token-unsigned", "echo"])
def test_canary_secret_and_token_never_shown(fault: str) -> None:
    creds = ik.Credentials("AKTPcanary", CANARY_SECRET, session_token=CANARY_TOKEN)
    t = JIMENG.sign(apply_req(), creds, at=AT)
    sent, resp = t.signed_request, None
    if fault == "secret":
        canary = ik.Credentials("AKTPcanary", "x" + CANARY_SECRET, CANARY_TOKEN)
        sent = JIMENG.sign(apply_req(), canary, at=AT).signed_request
    elif fault == "token-unsigned":
        sent = sent.with_header("Authorization", t.authorization.replace(";x-amz-security-token", ""))
    elif fault == "echo":
        resp = (f"<Error><Code>SignatureDoesNotMatch</Code>"
                f"<CanonicalRequest>{escape(t.canonical_request)}x</CanonicalRequest>"
                f"<StringToSign>{t.string_to_sign}</StringToSign></Error>")
    for c in (creds, None):
        d = ik.diagnose(sent, c, signer=JIMENG, server_response=resp, now=AT)
        text = _all_views(d)
        assert CANARY_SECRET not in text
        assert CANARY_TOKEN not in text


def test_cause_and_diagnosis_shapes() -> None:
    d = ik.diagnose(JIMENG.with_(region="us-east-1").sign(apply_req(), IX_CREDS, at=AT).signed_request, IX_CREDS,
                    signer=JIMENG, now=AT)
    c = d.causes[0]
    assert isinstance(c, Cause)
    assert (c.id, c.confidence) == ("wrong-region", "high")
    assert c.title == CATALOGUE["wrong-region"].title and c.fix == CATALOGUE["wrong-region"].fix
    assert "'us-east-1'" in c.evidence and "'cn-north-1'" in c.evidence
    data = json.loads(d.to_json())
    assert data["verdict"] == "mismatch" and data["causes"][0]["id"] == "wrong-region"
    html = d._repr_html_()
    for part in ("What was sent", "First differing step", "Causes", "What we compute"):
        assert part in html
    assert ik.Diagnosis is Diagnosis and ik.Cause is Cause


def test_edited_presigned_value_is_named_after_the_secret():
    """A value edited in a presigned URL cannot be recovered; diagnose says it may be that."""
    from datetime import datetime, timezone
    at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    creds = ik.Credentials("LTAIEXAMPLE", "SECRET")
    for version in (1, 4):
        t = ik.oss.sign_url("bkt", "cat.png", "http://127.0.0.1:9000", creds, 600, process="image/resize,w_200",
                            version=version, region="cn-hangzhou", at=at)
        bad = t.signed_request.with_url(t.signed_request.url.replace("w_200", "w_2000"))
        d = ik.diagnose(bad, creds, now=at, bucket="bkt")
        ids = [c.id for c in d.causes]
        assert d.verdict == "mismatch" and ids[:2] == ["secret-key-mismatch", "query-param-added-after-signing"]
        assert all(c.confidence == "low" for c in d.causes[:2])
        assert "x-oss-process" in d.causes[1].evidence

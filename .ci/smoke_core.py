"""Smoke test of the core install (``pip install imgx-kit``, no extras, not editable), run by .ci/run.

Signs, presigns, captures, diagnoses and parses an ``x-oss-process`` with the installed package, each
checked against the published vectors vendored in tests/data/vectors (not against imgx-kit itself), and
asserts that no Jupyter server, Voilà, OpenCV or server stack came with the core install.

    python .ci/smoke_core.py            # from any folder; imports imgx_kit from site-packages
"""
from __future__ import annotations

import importlib.util
import json
import sys
import sysconfig
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "data" / "vectors"
AWS = VECTORS / "aws-sig-v4-test-suite"
AWS_V4 = VECTORS / "aws-signing-test-suite-v4"
AT = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)       # the suites' fixed inputs (their READMEs)
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOT_IN_CORE = ["jupyterlab", "notebook", "voila", "jupyter_server", "cv2", "werkzeug", "trustme", "pillow_heif"]


def main() -> None:
    for name in NOT_IN_CORE:
        assert importlib.util.find_spec(name) is None, f"{name} is installed by the core install"
    import imgx_kit as ik
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert site in Path(ik.__file__).resolve().parents, f"imgx_kit imported from {ik.__file__}, not {site}"
    assert (Path(ik.__file__).parent / "py.typed").is_file(), "py.typed is not installed"
    creds = ik.Credentials(AK, SK)

    # sign: AWS's get-vanilla, header and presigned query
    req = ik.HttpRequest.build("GET", "https://example.amazonaws.com/")
    signer = ik.Signer(ik.AWS4, region="us-east-1", service="service")
    t = signer.sign(req, creds, at=AT)
    assert t.authorization == (AWS / "get-vanilla" / "get-vanilla.authz").read_text().strip(), t.authorization
    p = signer.presign(req, creds, expires=3600, at=AT)
    query = dict(parse_qsl(p.signed_request.query))
    assert query["X-Amz-Signature"] == (AWS_V4 / "get-vanilla" / "query-signature.txt").read_text().strip()

    # OSS V1 header signing: the alibabacloud-oss-python-sdk-v2 vector
    oss = json.loads((VECTORS / "aliyun-oss" / "oss-python-sdk-v2-signer-vectors.json").read_text())
    case = oss["v1_header"][0]
    o = ik.oss.sign(ik.HttpRequest.build(case["method"], case["url"], case["headers"]),
                    ik.Credentials(case["ak"], case["sk"]), case["bucket"], case["key"], version=1)
    assert o.authorization == case["authorization"], o.authorization

    # capture: the suite's raw .req of get-vanilla-query, as a cURL command
    curl = "curl 'https://example.amazonaws.com/?Param2=value2&Param1=value1' -H 'X-Amz-Date: 20150830T123600Z'"
    captured = ik.capture.from_curl(curl)
    assert captured.method == "GET" and captured.header("x-amz-date") == "20150830T123600Z"

    # diagnose: the published signed request with a tampered signature is a mismatch, the original is not
    sreq = (AWS / "get-vanilla" / "get-vanilla.sreq").read_text()
    good = ik.capture.from_raw_http(sreq, scheme="https")
    bad = ik.capture.from_raw_http(sreq.replace("5fa00fa3", "00000000"), scheme="https")
    assert ik.diagnose(bad, creds, signer=signer, now=AT).causes, "a tampered signature has no cause"
    assert not ik.diagnose(good, creds, signer=signer, now=AT).causes

    # x-oss-process: parse, and a malformed one is a typed error
    assert str(ik.oss.Process.parse("image/resize,w_100/rotate,90")) == "image/resize,w_100/rotate,90"
    try:
        ik.oss.Process.parse("image/resize,w_")
    except ik.ProcessSyntaxError:
        pass
    else:
        raise AssertionError("a malformed x-oss-process parsed")

    # the emulator is an extra: asking for it says which
    try:
        ik.emulator.running  # noqa: B018
    except ik.MissingExtraError as e:
        assert 'pip install "imgx-kit[emulator]"' in str(e), e
    else:
        raise AssertionError("the emulator imported without its extra")
    print(f"core smoke: ok (imgx_kit {ik.__version__} from {Path(ik.__file__).parent}, "
          f"Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()

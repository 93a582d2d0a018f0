"""``ik.watch()`` against the emulator with three clients nobody here wrote: the volcengine SDK
(``VisualService.cv_process``), oss2 (``Bucket.put_object``, V1 and V4) and botocore (``SigV4Auth``
signing, sent through botocore's own ``URLLib3Session`` — the transport every botocore client uses —
to the emulator's ImageX endpoint, which verifies AWS4). Each makes a real mistake: a wrong region,
a header a session hook changes after signing, a wrong secret. The expected top cause of each is the
mistake we made, not what imgx-kit computes."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import oss2
import pytest
import requests
import requests.adapters
import urllib3
import urllib3.connectionpool
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.httpsession import URLLib3Session
from emulator.helpers import inpaint_inputs, upload_token
from hypothesis import given, settings, strategies as st

import imgx_kit as ik
from imgx_kit.emulator.api import running
from imgx_kit.services import watch_hooks

from imgx_testing import CANARY_AUTH, CANARY_SECRET, CANARY_SESSIONID, CANARY_TOKEN

pytestmark = pytest.mark.oracle

ORIGINAL_REQUESTS_SEND = requests.adapters.HTTPAdapter.__dict__["send"]
ORIGINAL_BOTO_SEND = URLLib3Session.__dict__["send"]
ORIGINAL_PREPARE = requests.Session.__dict__["prepare_request"]
ORIGINAL_URLOPEN = urllib3.connectionpool.HTTPConnectionPool.__dict__["urlopen"]


@pytest.fixture(scope="module")
def emu():
    with running(seed=0) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture(scope="module")
def sts(emu):
    tok = upload_token(emu)
    return ik.Credentials(tok["access_key_id"], tok["secret_access_key"], tok["session_token"]), tok["service_id"]


def _unhooked() -> bool:
    return (requests.adapters.HTTPAdapter.__dict__["send"] is ORIGINAL_REQUESTS_SEND
            and URLLib3Session.__dict__["send"] is ORIGINAL_BOTO_SEND
            and requests.Session.__dict__["prepare_request"] is ORIGINAL_PREPARE
            and urllib3.connectionpool.HTTPConnectionPool.__dict__["urlopen"] is ORIGINAL_URLOPEN
            and watch_hooks.installed() == [])


# ---- the three clients, each with one mistake ----------------------------------------------------------
def _charset_hook(ctype: str):
    """A session hook (requests' ``auth`` runs after the client signed) that adds a charset."""
    def hook(r):
        if r.method in ("POST", "PUT"):
            r.headers["Content-Type"] = ctype
        return r
    return hook


def visual_call(emu, fault: str) -> None:
    from volcengine.visual.VisualService import VisualService

    v = emu.demo_volc_credentials
    vs = VisualService()
    vs.set_ak(v.access_key)
    vs.set_sk("wrong-secret" if fault == "secret" else v.secret_key)
    vs.set_host(urlsplit(emu.endpoints.visual).netloc)      # its own root, as visual.volcengineapi.com
    vs.set_scheme("http")
    region = vs.service_info.credentials.region
    if fault == "region":
        vs.service_info.credentials.region = "cn-beijing"
    if fault == "hook":
        vs.session.auth = _charset_hook("application/json; charset=utf-8")
    ib, mb, _, _ = inpaint_inputs(16, 16)
    try:
        with pytest.raises(Exception, match="SignatureDoesNotMatch"):
            vs.cv_process({"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]})
    finally:
        vs.service_info.credentials.region = region


def oss_call(emu, fault: str) -> None:
    c = emu.demo_oss_credentials
    sk = "wrong-secret" if fault == "secret" else c.secret_key
    if fault == "region":       # V4 carries the region in its scope; the bucket lives in cn-hangzhou
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(c.access_key, sk))
        bucket = oss2.Bucket(auth, emu.endpoints.oss, emu.demo_bucket, region="cn-beijing")
    else:
        bucket = oss2.Bucket(oss2.Auth(c.access_key, sk), emu.endpoints.oss, emu.demo_bucket)
    if fault == "hook":
        bucket.session.session.auth = _charset_hook("text/plain; charset=utf-8")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bucket.put_object("watch/a.txt", b"hello", headers={"Content-Type": "text/plain"})


def boto_call(emu, sts, fault: str) -> None:
    creds, sid = sts
    url = f"{emu.endpoints.imagex}/?Action=CommitImageUpload&Version=2018-08-01&ServiceId={sid}"
    req = AWSRequest("POST", url, data=b'{"SessionKey":"x"}', headers={"Content-Type": "application/json"})
    bc = BotoCredentials(creds.access_key, "x" + creds.secret_key if fault == "secret" else creds.secret_key,
                         creds.session_token)
    SigV4Auth(bc, "imagex", "eu-west-1" if fault == "region" else "cn-north-1").add_auth(req)
    prepared = req.prepare()
    if fault == "hook":         # what a before-send handler does to the signed request
        prepared.headers["Content-Type"] = "application/json; charset=utf-8"
    resp = URLLib3Session().send(prepared)
    assert resp.status_code == 401 and b"SignatureDoesNotMatch" in resp.content


SENT_CTYPE = {"visual": "application/json; charset=utf-8", "oss": "text/plain; charset=utf-8"}
EXPECTED = {
    ("visual", "region"): "wrong-region",
    ("visual", "hook"): "header-changed-after-signing",
    ("visual", "secret"): "secret-key-mismatch",
    ("oss", "region"): "wrong-region",
    # OSS V1 signs Content-Type as its own line of the string to sign: the OSS-specific id
    ("oss", "hook"): "oss-content-md5-or-type-mismatch",
    ("oss", "secret"): "secret-key-mismatch",
    ("botocore", "region"): "wrong-region",
    ("botocore", "hook"): "header-changed-after-signing",
    ("botocore", "secret"): "secret-key-mismatch",
}


def _creds_of(emu, sts) -> dict[str, ik.Credentials]:
    return {c.access_key: c for c in (emu.demo_volc_credentials, emu.demo_oss_credentials, sts[0])}


@pytest.mark.parametrize(("client", "fault"), list(EXPECTED))
def test_each_mistake_shows_in_failures_with_its_top_cause(emu, sts, client, fault):
    with ik.watch(creds=_creds_of(emu, sts)) as w:
        {"visual": lambda: visual_call(emu, fault), "oss": lambda: oss_call(emu, fault),
         "botocore": lambda: boto_call(emu, sts, fault)}[client]()
    assert len(w) == 1 and len(w.failures) == 1, repr(w)
    x = w.failures[0]
    assert x.call.via == ("botocore" if client == "botocore" else "requests")
    assert x.code == "SignatureDoesNotMatch" and x.status in (401, 403)
    assert x.diagnosis is not None and x.diagnosis.causes[0].id == EXPECTED[client, fault], repr(x.diagnosis)
    assert x.top_cause == EXPECTED[client, fault]
    if fault == "hook" and client != "botocore":        # the watch saw the session change it
        assert [(k.lower(), a) for k, _, a in x.call.session_changes] == [("content-type", SENT_CTYPE[client])]
        assert "when the client built the request" in " ".join(x.notes)
    else:
        assert x.call.session_changes == ()
    assert EXPECTED[client, fault] in repr(w) and EXPECTED[client, fault] in w._repr_html_()
    assert _unhooked()


def test_plain_urllib3_is_recorded_once_and_requests_or_botocore_are_not_counted_twice(emu, sts):
    creds, sid = sts
    url = f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={sid}"
    req = AWSRequest("GET", url)
    SigV4Auth(BotoCredentials(creds.access_key, creds.secret_key + "x", creds.session_token), "imagex",
              "cn-north-1").add_auth(req)
    with ik.watch(creds=creds) as w:
        pool = urllib3.PoolManager()
        r = pool.request("GET", url, headers=dict(req.headers))
        assert r.status == 401 and b"SignatureDoesNotMatch" in r.data         # preloaded, still whole
        requests.get(emu.endpoints.visual + "/", timeout=10)
        boto_call(emu, sts, "secret")
    assert [x.call.via for x in w] == ["urllib3", "requests", "botocore"]
    assert [x.top_cause for x in w.failures] == ["secret-key-mismatch", "secret-key-mismatch"]
    assert w[0].request.header("Authorization") == req.headers["Authorization"]
    assert _unhooked()


def test_without_creds_the_structural_checks_still_run(emu):
    with ik.watch() as w:
        visual_call(emu, "hook")
    d = w.failures[0].diagnosis
    assert d is not None and d.verdict != "valid" and d.expected is None     # nothing re-signed
    assert d.checked and w.failures[0].code == "SignatureDoesNotMatch"


def test_without_creds_no_key_is_blamed_at_medium_or_high(emu):
    with ik.watch() as w:
        visual_call(emu, "hook")
    d = w.failures[0].diagnosis
    assert not [c for c in d.causes if c.id == "secret-key-mismatch" and c.confidence in ("medium", "high")]


def test_a_callable_lookup_supplies_the_key_the_request_names(emu):
    asked: list[str] = []

    def lookup(ak):
        asked.append(ak)
        return emu.demo_volc_credentials if ak == emu.demo_volc_credentials.access_key else None

    with ik.watch(creds=lookup) as w:
        visual_call(emu, "secret")
    assert w.failures[0].top_cause == "secret-key-mismatch"
    assert asked == [emu.demo_volc_credentials.access_key]


@settings(max_examples=60, deadline=2000)
@given(st.one_of(st.none(), st.text(max_size=20), st.integers(), st.binary(max_size=8),
                 st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.none()), max_size=3),
                 st.builds(lambda: ik.Credentials("AKIDEXAMPLE", "secret-example-0001"))))
def test_watch_takes_creds_or_raises_a_typed_error(creds):
    try:
        w = ik.watch(creds=creds)
    except ik.ImgxError:
        return
    with w:
        pass
    assert len(w) == 0 and _unhooked()


def test_bad_creds_are_refused_with_a_typed_error():
    with pytest.raises(ik.CredentialsError, match="creds must be"):
        ik.watch(creds="AKID:secret")
    with pytest.raises(ik.CredentialsError, match=r"creds\['a'\]"):
        ik.watch(creds={"a": "b"})


# ---- nothing changed, hooks restored -----------------------------------------------------------------------
def test_successful_calls_are_recorded_and_returned_untouched(emu):
    url = emu.endpoints.jimeng + "/mweb/v1/get_upload_token?aid=513695"
    plain = requests.post(url, json={"scene": 2}, cookies={"sessionid": emu.demo_sessionid}, timeout=10)
    with ik.watch() as w:
        seen = requests.post(url, json={"scene": 2}, cookies={"sessionid": emu.demo_sessionid}, timeout=10)
    assert type(seen) is requests.Response and seen.status_code == plain.status_code == 200
    assert seen.json()["ret"] == "0" and seen.json().keys() == plain.json().keys()
    assert len(w) == 1 and w.failures == [] and w[0].status == 200 and w[0].code is None
    assert w[0].request.body == seen.request.body and w[0].request.header("Cookie") is not None
    sts_secrets = [seen.json()["data"][k] for k in ("secret_access_key", "session_token")] + [emu.demo_sessionid]
    shown = repr(w) + w._repr_html_() + repr(w[0].call) + " ".join(w[0].notes)
    assert w[0].call.body is not None and "access_key_id" in shown          # the answer is shown …
    assert not [s for s in sts_secrets if s in shown]                        # … with its secrets masked
    assert _unhooked()


def test_hooks_are_removed_after_the_block_and_after_an_exception(emu):
    assert _unhooked()
    with ik.watch() as w:
        assert requests.adapters.HTTPAdapter.__dict__["send"] is not ORIGINAL_REQUESTS_SEND
        assert URLLib3Session.__dict__["send"] is not ORIGINAL_BOTO_SEND
    assert _unhooked() and not w.recording
    with pytest.raises(ZeroDivisionError), ik.watch() as w2:
        requests.get(emu.endpoints.visual + "/", timeout=10)
        1 / 0                                           # noqa: B018
    assert _unhooked() and len(w2) == 1
    requests.get(emu.endpoints.visual + "/", timeout=10)          # after the block: not recorded
    assert len(w2) == 1
    with pytest.raises(ik.DiagnoseError, match="already opened"), w2:
        pass


def test_a_failed_connection_is_recorded_and_the_exception_passes_unchanged():
    with ik.watch() as w, pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:9/nothing", timeout=2)
    assert len(w) == 1 and w[0].status is None and "ConnectionError" in (w[0].call.error or "")
    assert _unhooked()


def test_nested_watches_see_their_own_blocks(emu):
    with ik.watch() as outer:
        requests.get(emu.endpoints.visual + "/?n=1", timeout=10)
        with ik.watch(creds=emu.demo_volc_credentials) as inner:
            visual_call(emu, "secret")
        assert not _unhooked()                              # the outer one still listens
        requests.get(emu.endpoints.visual + "/?n=3", timeout=10)
    assert _unhooked()
    assert [x.number for x in outer.calls] == [1, 2, 3] and len(inner) == 1
    assert inner[0].call is outer[1].call                   # one recording, two views
    assert inner.failures[0].top_cause == "secret-key-mismatch"
    assert outer.failures[0].top_cause == "secret-key-mismatch"


def test_calls_from_threads_are_all_recorded(emu):
    def get(i: int) -> int:
        return requests.get(f"{emu.endpoints.visual}/?i={i}", timeout=10).status_code

    with ik.watch() as w:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(get, range(40)))
        t = threading.Thread(target=get, args=(40,))
        t.start()
        t.join()
    assert len(codes) == 40
    assert sorted(x.number for x in w) == list(range(1, 42))
    assert sorted(int(x.host_path.rsplit("=", 1)[1]) for x in w) == list(range(41))
    assert _unhooked()


# ---- streaming ---------------------------------------------------------------------------------------------
def test_a_streamed_download_still_streams(emu):
    c = emu.demo_oss_credentials
    bucket = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    data = bytes(range(256)) * 8192                         # 2 MiB
    bucket.put_object("watch/big.bin", data)
    url = bucket.sign_url("GET", "watch/big.bin", 600)
    with ik.watch() as w:
        r = requests.get(url, stream=True, timeout=10)
        assert r.__dict__["_content"] is False              # nothing was loaded for us
        chunks = list(r.iter_content(64 * 1024))
        assert len(chunks) == 32 and b"".join(chunks) == data
        got = bucket.get_object("watch/big.bin")           # oss2 always streams
        assert got.read() == data
    assert [x.status for x in w] == [200, 200] and w.failures == []
    assert all(x.call.body is None for x in w)


def test_a_streamed_error_body_is_peeked_and_left_whole_for_the_caller(emu):
    c = emu.demo_oss_credentials
    bucket = oss2.Bucket(oss2.Auth(c.access_key, "wrong-secret"), emu.endpoints.oss, emu.demo_bucket)
    url = bucket.sign_url("GET", "watch/big.bin", 600)
    with ik.watch(creds=c) as w:
        r = requests.get(url, stream=True, timeout=10)
        assert r.__dict__["_content"] is False
        body = r.raw.read()
    assert body.startswith(b"<?xml") and body.rstrip().endswith(b"</Error>")
    assert int(r.headers["Content-Length"]) == len(body)
    assert w.failures and w.failures[0].call.body == body
    assert w.failures[0].top_cause == "secret-key-mismatch"


# ---- views and secrets ----------------------------------------------------------------------------------------
def test_views_list_the_calls_and_mask_every_secret(emu):
    canary = ik.Credentials(emu.demo_volc_credentials.access_key, CANARY_SECRET, CANARY_TOKEN)
    with ik.watch(creds=canary) as w:
        visual_call(emu, "secret")
        requests.post(emu.url + "/upload/v1/tos-x/y", data=b"z", timeout=10,
                      headers={"Authorization": CANARY_AUTH, "Cookie": f"sessionid={CANARY_SESSIONID}",
                               "X-Security-Token": CANARY_TOKEN})
    views = [repr(w), str(w), w._repr_html_()]
    for x in w:
        views += [repr(x), x._repr_html_(), x.summary(), " ".join(x.notes)]
        if x.diagnosis is not None:
            views += [repr(x.diagnosis), x.diagnosis._repr_html_(), x.diagnosis.to_json()]
    text = "\n".join(views)
    for secret in (CANARY_SECRET, CANARY_TOKEN, CANARY_SESSIONID, CANARY_AUTH, "CANARYauthTOKEN"):
        assert secret not in text
    html = w._repr_html_()
    assert html.count("<details class='imgx-exchange'>") == 2 and "<summary" in html
    assert "#1 POST" in html and "#2 POST" in html and "SignatureDoesNotMatch" in html
    assert repr(w).startswith("Watch(closed: 2 calls, 1 signature failure)")


# ---- the IPython extension ------------------------------------------------------------------------------------
def test_the_cell_magic_watches_one_cell_and_shows_it(emu):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "imgx_kit")
        shell.user_ns.update(emu=emu, visual_call=visual_call, creds=emu.demo_volc_credentials)
        with capture_output() as out:
            shell.run_cell("%%imgx_watch creds\nvisual_call(emu, 'region')\nprint('cell ran')\n")
        w = shell.user_ns["imgx_watch"]
        assert "cell ran" in out.stdout
        assert not w.recording and len(w) == 1 and w.failures[0].top_cause == "wrong-region"
        shown = [o.data for o in out.outputs]
        assert any("text/html" in d and "imgx-watch" in d["text/html"] for d in shown), shown
        assert _unhooked()
        with capture_output() as out:                       # an exception in the cell: still closed, shown
            shell.run_cell("%%imgx_watch\nimport requests\nrequests.get(emu.endpoints.visual + '/')\n1/0\n")
        assert "ZeroDivisionError" in out.stdout + out.stderr
        assert len(shell.user_ns["imgx_watch"]) == 1 and _unhooked()
    finally:
        InteractiveShell.clear_instance()

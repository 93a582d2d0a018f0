"""Secret canary: with canary sessionid, keys, token (and the Auth / STS secrets the emulator
issues), nothing in reprs, _repr_html_, DEBUG logs, exceptions, CLI output or to_har() shows them."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

import imgx_kit as ik
from imgx_kit.cli import main as cli_main
from imgx_kit.services.calls import to_har

from .conftest import make_png

AK = "AKLTcanaryACCESSKEY0001"
OSS_AK = "LTAIcanaryOSSKEY0001"


def views(obj) -> str:
    out = [repr(obj), str(obj)]
    html = getattr(obj, "_repr_html_", None)
    if callable(html):
        out.append(html())
    return "\n".join(out)


def test_no_secret_anywhere(emu, caplog, capsys, tmp_path, monkeypatch, canaries):
    CANARY_SECRET, CANARY_TOKEN, CANARY_SESSIONID, _ = canaries
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # a login error with the canary sessionid (not known yet)
    with pytest.raises(ik.LoginError) as ei:
        ik.ImageXClient.jimeng(sessionid=CANARY_SESSIONID, endpoints=emu.endpoints).upload(make_png(4, 4))
    texts += [views(ei.value), json.dumps(to_har(ei.value.calls))]
    emu.add_session(CANARY_SESSIONID)
    creds = ik.Credentials(AK, CANARY_SECRET, session_token=CANARY_TOKEN)
    emu.add_volc_credentials(creds)
    emu.add_oss_credentials(ik.Credentials(OSS_AK, CANARY_SECRET, session_token=CANARY_TOKEN))

    ix = ik.ImageXClient.jimeng(sessionid=CANARY_SESSIONID, endpoints=emu.endpoints)
    up = ix.upload(make_png(8, 8))
    batch = ix.upload_many([make_png(6, 6, seed=s) for s in range(3)], concurrency=2, progress=False)
    ox = ik.ImageXClient.openapi(creds, service_id=emu.demo_service_id, endpoints=emu.endpoints)
    up2 = ox.upload(make_png(9, 9))
    vc = ik.VisualClient(creds, endpoint=emu.endpoints.visual)
    m = np.zeros((16, 16), bool)
    m[4:8, 4:8] = True
    out = vc.inpaint(np.full((16, 16, 3), 99, np.uint8), m)
    oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, ik.Credentials(OSS_AK, CANARY_SECRET, CANARY_TOKEN),
                       region=emu.oss_region)
    put = oc.put("canary.png", make_png(5, 5))
    got = oc.get("canary.png", process="image/resize,w_2")
    for obj in (ix, ox, vc, oc, up, up.calls, batch, up2, up2.calls, out, out.calls, put, got, *up.calls,
                *batch.all_calls, *out.calls):
        texts.append(views(obj))
    texts.append(json.dumps(to_har(list(up.calls) + list(up2.calls) + list(out.calls) + list(batch.all_calls)
                                   + list(put.calls) + list(got.calls))))
    texts += [json.dumps(c.to_dict(), default=str) for c in up.calls]
    texts += [c.trace.to_json() for c in up.calls if c.trace is not None]
    # signature mismatches: the emulator's teaching echo repeats the signed token header
    bad = ik.Credentials(AK, "WRONG" + CANARY_SECRET, session_token=CANARY_TOKEN)
    bad_oss = ik.Credentials(OSS_AK, "WRONG" + CANARY_SECRET, CANARY_TOKEN)
    for call in (lambda: ik.ImageXClient.openapi(bad, service_id=emu.demo_service_id,
                                                 endpoints=emu.endpoints).upload(make_png(3, 3)),
                 lambda: ik.VisualClient(bad, endpoint=emu.endpoints.visual).inpaint(np.zeros((8, 8, 3), np.uint8),
                                                                                    np.zeros((8, 8), bool)),
                 lambda: ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, bad_oss,
                                       region=emu.oss_region).get("canary.png")):
        with pytest.raises(ik.SignatureMismatchError) as e2:
            call()
        err = e2.value
        assert err.echo is not None
        texts += [views(err), views(err.echo), json.dumps(to_har(err.calls)), views(err.calls[-1].trace.diff(err.echo))]
    # the CLI, with the canary credentials in the environment
    monkeypatch.setenv("VOLC_ACCESSKEY", AK)
    monkeypatch.setenv("VOLC_SECRETKEY", CANARY_SECRET)
    monkeypatch.setenv("VOLC_SESSION_TOKEN", CANARY_TOKEN)
    from PIL import Image
    Image.fromarray(np.full((16, 16, 3), 50, np.uint8)).save(tmp_path / "i.png")
    Image.fromarray(m.astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert cli_main(["inpaint", str(tmp_path / "i.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                     "--endpoint", emu.endpoints.visual, "--json"]) == 0
    monkeypatch.setenv("VOLC_SECRETKEY", "WRONG" + CANARY_SECRET)
    assert cli_main(["inpaint", str(tmp_path / "i.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                     "--endpoint", emu.endpoints.visual]) == 2
    cap = capsys.readouterr()
    texts += [cap.out, cap.err]
    assert "SignatureDoesNotMatch" in cap.err
    texts.append("\n".join(r.getMessage() for r in caplog.records))
    assert any("imgx_kit" in r.name for r in caplog.records)           # DEBUG logging did happen
    # every secret the emulator issued to us as well: STS secrets and tokens, upload Auth
    issued = [g.creds.secret_key for g in emu.state.sts.values()] + \
             [g.creds.session_token for g in emu.state.sts.values()] + [s.auth for s in emu.state.slots.values()]
    blob = "\n".join(texts)
    for secret in [CANARY_SECRET, CANARY_TOKEN, CANARY_SESSIONID, *issued]:
        assert secret not in blob, f"a secret leaked: {secret[:6]}…"
    assert len(blob) > 10000

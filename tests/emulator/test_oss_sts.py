"""STS for OSS: credentials issued by the emulator's AssumeRole — called through aliyunsdkcore's
own RPC client and signer — work with ``oss2.StsAuth`` (V1 header, V1 URL ``security-token``,
V4 header and V4 URL), and are refused once expired with ``SecurityTokenExpired``
(EC 0002-00000007, as the OSS docs and a real OSS answer give it)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import oss2
import pytest
import requests
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from imgx_kit.emulator.api import running


@pytest.fixture
def emu():
    with running(seed=7, max_skew=7200) as e:       # the clock is advanced past expiry, not past skew
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


def assume_role(emu, secret: str | None = None, duration: int = 900, sent: list | None = None) -> dict:
    c = emu.demo_oss_credentials
    client = AcsClient(c.access_key, secret or c.secret_key, "cn-hangzhou")
    r = CommonRequest(domain=emu.endpoints.sts.split("://", 1)[1], version="2015-04-01", action_name="AssumeRole")
    r.set_protocol_type("http")
    r.set_method("POST")
    r.add_query_param("RoleArn", "acs:ram::1234567890123456:role/imgx-uploader")
    r.add_query_param("RoleSessionName", "notebook")
    r.add_query_param("DurationSeconds", str(duration))
    if sent is not None:
        sent.append(r)
    return json.loads(client.do_action_with_exception(r))


def test_assume_role_answers_the_real_json_shape(emu) -> None:
    out = assume_role(emu)
    assert set(out) == {"RequestId", "AssumedRoleUser", "Credentials"}
    assert set(out["AssumedRoleUser"]) == {"Arn", "AssumedRoleId"}
    cred = out["Credentials"]
    assert set(cred) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    assert cred["AccessKeyId"].startswith("STS.")
    exp = datetime.strptime(cred["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 890 <= (exp - emu.now()).total_seconds() <= 900


def test_assume_role_checks_the_rpc_signature(emu) -> None:
    sent: list = []
    with pytest.raises(ServerException) as e:
        assume_role(emu, secret="not-the-secret", sent=sent)
    assert e.value.get_error_code() == "SignatureDoesNotMatch"
    # the answer ends with the server's string to sign, as the real one does: it is the SDK's own
    assert e.value.get_error_msg().split("server string to sign is:")[1] == sent[0].request.string_to_sign
    with pytest.raises(ServerException) as e:
        assume_role(emu, duration=60)
    assert e.value.get_error_code() == "InvalidParameter.DurationSeconds"


def test_issued_secrets_stay_out_of_the_log(emu) -> None:
    cred = assume_role(emu)["Credentials"]
    text = repr(emu.log) + json.dumps([e.to_dict() for e in emu.log])
    assert cred["AccessKeySecret"] not in text and cred["SecurityToken"] not in text


@pytest.mark.parametrize("version", [oss2.AUTH_VERSION_1, oss2.AUTH_VERSION_4])
def test_sts_auth_works_then_expires(emu, version) -> None:
    cred = assume_role(emu)["Credentials"]
    auth = oss2.StsAuth(cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"], auth_version=version)
    b = oss2.Bucket(auth, emu.endpoints.oss, emu.demo_bucket, region=emu.oss_region)
    b.put_object("sts/a.txt", b"via sts")
    assert b.get_object("sts/a.txt").read() == b"via sts"
    url = b.sign_url("GET", "sts/a.txt", 600)
    assert ("security-token=" in url) if version == oss2.AUTH_VERSION_1 else ("x-oss-security-token=" in url)
    assert requests.get(url, timeout=10).content == b"via sts"
    wrong = oss2.StsAuth(cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"][:-4] + "AAAA",
                         auth_version=version)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        oss2.Bucket(wrong, emu.endpoints.oss, emu.demo_bucket, region=emu.oss_region).get_object("sts/a.txt")
    assert (e.value.status, e.value.code) == (403, "InvalidSecurityToken")
    emu.advance(901)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        b.get_object("sts/a.txt")
    assert (e.value.status, e.value.code) == (403, "SecurityTokenExpired")
    assert e.value.details.get("EC") == "0002-00000007"


def test_expire_tokens_covers_oss_sts(emu) -> None:
    cred = assume_role(emu, duration=3600)["Credentials"]
    b = oss2.Bucket(oss2.StsAuth(cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"]),
                    emu.endpoints.oss, emu.demo_bucket)
    b.put_object("sts/b.txt", b"1")
    emu.expire_tokens()
    with pytest.raises(oss2.exceptions.ServerError, match="SecurityTokenExpired"):
        b.get_object("sts/b.txt")

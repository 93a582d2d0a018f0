"""Jimeng / Dreamina state, no HTTP (moto's ``models.py``): which ``sessionid`` cookies are logged
in, and the upload tokens ``get_upload_token`` issues for them (protocols.md §3.1, §3.5).

    >>> from datetime import datetime, timezone
    >>> from imgx_kit.emulator.state import State
    >>> st = State(seed=1); st.add_session("sid")
    >>> t = issue_upload_token(st, "sid", "2", "cn", datetime(2025, 1, 1, tzinfo=timezone.utc), ttl=60)
    >>> t.service_id, t.grant.region, logged_in(st, "other")
    ('tb4s082cfz', 'cn-north-1', False)
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ..state import State, StsGrant

__all__ = ["CN_AID", "CN_SERVICE_ID", "INTL_AID", "INTL_SERVICE_ID", "UploadToken", "issue_upload_token",
           "logged_in"]

CN_AID, INTL_AID = "513695", "513641"
CN_SERVICE_ID, INTL_SERVICE_ID = "tb4s082cfz", "wopfjsm1ax"


class UploadToken(NamedTuple):
    """What ``get_upload_token`` answers: the STS grant, its space and the upload domain."""

    grant: StsGrant
    service_id: str
    domain: str


def logged_in(state: State, sessionid: str | None) -> bool:
    """Whether ``sessionid`` names a logged-in session."""
    with state.lock:
        return bool(sessionid) and sessionid in state.sessions


def issue_upload_token(state: State, sessionid: str, scene: str, flavour: str, now: datetime, *,
                       ttl: int, intl_region: str = "us-east-1") -> UploadToken:
    """Fresh STS credentials for ``scene`` (``"2"`` image: an ImageX space in the flavour's region;
    else video/cover: a VOD space) and site flavour ``"cn"``/``"us"``/``"sg"``."""
    service_id = CN_SERVICE_ID if flavour == "cn" else INTL_SERVICE_ID
    if scene == "2":
        region = {"cn": "cn-north-1", "us": intl_region, "sg": "ap-southeast-1"}[flavour]
        domain = "imagex.bytedanceapi.com"
    else:                                   # video / cover: a VOD space
        region, domain = "cn-north-1", "vod.bytedanceapi.com"
        service_id = "dreamina"
    grant = state.issue_sts(sessionid, service_id, region, now, ttl=ttl, flavour=flavour)
    return UploadToken(grant, service_id, domain)

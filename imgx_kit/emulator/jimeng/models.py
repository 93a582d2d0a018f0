"""What Jimeng stores (moto's ``models.py`` data): the STS grants ``get_upload_token`` issues.

    >>> from imgx_kit.core.credentials import Credentials
    >>> StsGrant(Credentials("AK", "SK"), "tb4s082cfz", "cn-north-1", "sid").flavour
    'cn'
"""
from __future__ import annotations

from dataclasses import dataclass

from ...core.credentials import Credentials

__all__ = ["StsGrant"]


@dataclass(frozen=True)
class StsGrant:
    """Temporary credentials issued by ``get_upload_token``, bound to a service id and region."""

    creds: Credentials
    service_id: str
    region: str
    sessionid: str
    flavour: str = "cn"             # "cn", "us" or "sg": which signing regions the token may use

"""Ready signers for the services imgx-kit talks to. A preset is a :class:`~imgx_kit.Signer`.

    >>> import imgx_kit as ik
    >>> ik.presets.JIMENG_IMAGEX.signed_headers
    ('x-amz-date', 'x-amz-security-token')
"""
from __future__ import annotations

from .scheme import AWS4, VOLC
from .signer import Signer

__all__ = ["ALL", "IMAGEX_OPENAPI", "JIMENG_IMAGEX", "S3", "VOLC_CV", "imagex_openapi", "jimeng_imagex", "s3"]

#: The Jimeng/Dreamina web app's ImageX signing: AWS4, cn-north-1, imagex; signs only
#: x-amz-date and x-amz-security-token, plus x-amz-content-sha256 when there is a body.
JIMENG_IMAGEX = Signer(AWS4, "cn-north-1", "imagex", ("x-amz-date", "x-amz-security-token"),
                       content_sha256="if-body", name="JIMENG_IMAGEX")
#: Volcengine visual (CVProcess, Img2ImgInpainting): HMAC-SHA256, cn-north-1, cv, SDK policy.
VOLC_CV = Signer(VOLC, "cn-north-1", "cv", name="VOLC_CV")
#: ImageX OpenAPI as the official SDK signs it: HMAC-SHA256, cn-north-1, service ImageX.
IMAGEX_OPENAPI = Signer(VOLC, "cn-north-1", "ImageX", name="IMAGEX_OPENAPI")

#: Amazon S3 as botocore's S3SigV4Auth / S3SigV4QueryAuth sign it: the path as sent, encoded once and
#: never normalised; x-amz-content-sha256 on every request; presigned URLs sign UNSIGNED-PAYLOAD.
S3 = Signer(AWS4, "us-east-1", "s3", s3=True, name="S3")

ALL = {"JIMENG_IMAGEX": JIMENG_IMAGEX, "VOLC_CV": VOLC_CV, "IMAGEX_OPENAPI": IMAGEX_OPENAPI, "S3": S3}


def jimeng_imagex(region: str = "cn-north-1") -> Signer:
    """The web flavour for another ImageX region (international hosts sign other regions)."""
    return JIMENG_IMAGEX.with_(region=region)


def imagex_openapi(region: str = "cn-north-1") -> Signer:
    return IMAGEX_OPENAPI.with_(region=region)


def s3(region: str = "us-east-1") -> Signer:
    """S3 in another region: ``ik.presets.s3("eu-west-1")``."""
    return S3.with_(region=region)

"""Gateway authentication for the JSON OpenAPI routes (ImageX, visual): pick the scheme the
request names, verify it with the signing core's :meth:`Signer.verify` (one code path, never a
copy), and answer failures with the §6.1 envelope — plus the teaching echo on
``SignatureDoesNotMatch`` when the emulator is in teaching mode.

    >>> from imgx_kit.emulator.auth import scheme_of
    >>> scheme_of("AWS4-HMAC-SHA256 Credential=AK/20250101/cn-north-1/imagex/aws4_request, …", "")
    'AWS4'
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from ..core import presets
from ..core.credentials import Credentials
from ..core.declared import parse_authorization, scheme_word
from ..core.signer import Signer, Verification
from .context import Ctx
from .envelopes import gateway_error, gateway_message, json_response, request_id, teaching_echo
from .errors import GatewayError
from .routing import host_name
from .runtime import IMAGEX_REGIONS_SG, IMAGEX_REGIONS_US, IMAGEX_REGIONS_VOLC

__all__ = ["GatewayCall", "allowed_regions", "check_action", "gateway_response", "scheme_of", "verification_error",
           "verify_gateway"]

_INVALID_AUTH = "Invalid 'Authorization' header, Pls check authorization header."

#: the regions each real ImageX host takes (protocols.md §2 and §3.5; the US host's are configurable)
_HOST_REGIONS: dict[str, tuple[str, ...]] = {
    "imagex.bytedanceapi.com": ("cn-north-1",),
    "imagex16-normal-us-ttp.capcutapi.us": IMAGEX_REGIONS_US,
    "imagex-normal-sg.capcutapi.com": IMAGEX_REGIONS_SG,
    "imagex.volcengineapi.com": ("cn-north-1",),
    "imagex-ap-singapore-1.volcengineapi.com": ("ap-singapore-1",),
    "imagex-us-east-1.volcengineapi.com": ("us-east-1",),
    "imagex.ap-southeast-1.volcengineapi.com": ("ap-southeast-1",),
}
_IMAGEX_VOLC = {"ImageX": presets.IMAGEX_OPENAPI, "imagex": presets.IMAGEX_OPENAPI.with_(service="imagex")}


@dataclass(frozen=True)
class GatewayCall:
    """What the gateway knows about a call: action, version, service and region to echo."""

    action: str
    version: str
    service: str
    region: str


def scheme_of(auth: str | None, query: str) -> str | None:
    """``"AWS4"``, ``"VOLC"``, ``None`` (no authentication at all) or ``"?"`` (unknown word)."""
    word = scheme_word(auth, query)          # the core's one parser of what a request declares
    return word if word in (None, "AWS4", "VOLC") else ("?" if auth is not None else None)


def _lookup(*sources: Callable[[str], Credentials | None]) -> Callable[[str], Credentials | None]:
    def find(ak: str) -> Credentials | None:
        for s in sources:
            c = s(ak)
            if c is not None:
                return c
        return None
    return find


def verify_gateway(ctx: Ctx, *, kind: str) -> Verification:
    """Verify the request's signature for ``kind`` ``"imagex"`` (AWS4 web flavour or VOLC
    ``ImageX``/``imagex``) or ``"cv"`` (VOLC ``cv``). Returns the verification when accepted,
    else raises the :class:`GatewayError` the gateway answers (:func:`verification_error`)."""
    emu, req = ctx.emu, ctx.req
    scheme = scheme_of(req.header("Authorization"), req.query)
    state = emu.state
    if scheme == "?":
        raise verification_error(Verification(False, "InvalidAuthorization", _INVALID_AUTH, status=400))
    if scheme is None:
        scheme = "AWS4" if kind == "imagex" else "VOLC"
    if kind == "imagex" and scheme == "AWS4":
        signer: Signer = presets.JIMENG_IMAGEX
        lookup = _lookup(state.lookup_sts, state.lookup_volc)
        required: tuple[str, ...] = ()
    elif kind == "imagex":
        declared = parse_authorization(req.header("Authorization") or "")    # the core's one parser
        service = declared.service if declared is not None else "ImageX"
        signer = _IMAGEX_VOLC.get(service, presets.IMAGEX_OPENAPI)
        lookup = _lookup(state.lookup_volc, state.lookup_sts)
        required = ()
    else:
        if scheme == "AWS4":
            raise verification_error(Verification(False, "InvalidAuthorization", _INVALID_AUTH, status=400))
        signer = presets.VOLC_CV
        lookup = _lookup(state.lookup_volc, state.lookup_sts)
        required = ("host",)
    allowed = allowed_regions(ctx, scheme) if kind == "imagex" else ()
    v = signer.verify(req, lookup, now=ctx.now, max_skew=emu.max_skew, accept_regions=allowed,
                      required=required)
    if v.ok and kind == "imagex" and v.parsed is not None:
        regions = allowed_regions(ctx, scheme, v.parsed.access_key)
        if v.parsed.region not in regions:
            v = Verification(False, "SignatureDoesNotMatch",
                             f"the region {v.parsed.region!r} in the credential scope is not one this host "
                             f"and token sign with ({', '.join(regions)})",
                             status=401, parsed=v.parsed, expected=v.expected)
    ctx.verdict(v.code, v.message, v.expected, scheme)
    if v.ok:
        return v
    raise verification_error(v, scheme=scheme, teaching=emu.teaching,
                             timestamp_status=emu.invalid_timestamp_status)


def allowed_regions(ctx: Ctx, scheme: str, access_key: str | None = None) -> tuple[str, ...]:
    """The signing regions an ImageX call may use: bound to the ``Host`` when it is a real host
    name, and to the token (a CN Jimeng token: ``cn-north-1`` only; US: ``emu.imagex_regions``;
    SG: ``ap-southeast-1``) — protocols.md §3.5 and §7 step 4; docs/emulator.md."""
    by_host = _HOST_REGIONS.get(host_name(ctx.req.header("Host") or ""))
    if by_host is IMAGEX_REGIONS_US:
        by_host = tuple(ctx.emu.imagex_regions)
    if scheme == "AWS4":
        grant = ctx.emu.state.grant(access_key) if access_key else None
        flavour = grant.flavour if grant is not None else None
        by_token = {"cn": ("cn-north-1",), "us": tuple(ctx.emu.imagex_regions),
                    "sg": IMAGEX_REGIONS_SG}.get(flavour or "")
    else:
        by_token = IMAGEX_REGIONS_VOLC
    if access_key is None:                      # before the AK is known: the widest set
        sets = [s for s in (by_host,) if s is not None]
        return sets[0] if sets else tuple(dict.fromkeys(("cn-north-1", *ctx.emu.imagex_regions,
                                                           *IMAGEX_REGIONS_SG, *IMAGEX_REGIONS_VOLC)))
    if by_token is None:                        # long-term VOLC keys signing AWS4
        by_token = IMAGEX_REGIONS_VOLC
    return tuple(r for r in by_token if by_host is None or r in by_host)


def verification_error(v: Verification, scheme: str | None = None, *, teaching: bool = False,
                       timestamp_status: int | None = None) -> GatewayError:
    """The :class:`GatewayError` for a failed verification (teaching echo on SignatureDoesNotMatch)."""
    code = v.code or "SignatureDoesNotMatch"
    region = v.parsed.region if v.parsed is not None and v.parsed.region else None
    status = timestamp_status if code == "InvalidTimestamp" and timestamp_status else v.status
    echo = teaching_echo(scheme or "AWS4", v.expected, v.message) \
        if code == "SignatureDoesNotMatch" and teaching else None
    return GatewayError(code, gateway_message(code, v.message), status=status, region=region,
                        log=v.message, trace=v.expected, scheme=scheme, teaching=echo)


def gateway_response(ctx: Ctx, call: GatewayCall, err: GatewayError) -> Response:
    """The §6.1 envelope of ``err`` (and its verdict in the request log)."""
    ctx.verdict(err.code, err.log if err.log is not None else (err.message or gateway_message(err.code)),
                err.trace, err.scheme)
    st, body = gateway_error(err.code, action=call.action, version=call.version, service=call.service,
                             region=err.region or call.region, message=err.message,
                             request_id=request_id(ctx.now), status=err.status, teaching=err.teaching)
    return json_response(st, body)


def check_action(ctx: Ctx, known: Iterable[str], version: str) -> str:
    """The gateway's routing checks: Action and Version present (MissingParameter) and known
    (InvalidActionOrVersion). Returns the Action, else raises the :class:`GatewayError`."""
    action, got = ctx.q("Action"), ctx.q("Version")
    if not action:
        raise GatewayError("MissingParameter", "The request is missing Action parameter.")
    if not got:
        raise GatewayError("MissingParameter", "The request is missing Version parameter.")
    if action not in known or got != version:
        raise GatewayError("InvalidActionOrVersion", f"Could not find operation {action} for version {got}.")
    return action

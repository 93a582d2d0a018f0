"""Gateway authentication for the JSON OpenAPI routes (ImageX, visual): pick the scheme the
request names, verify it with the signing core's :meth:`Signer.verify` (one code path, never a
copy), and answer failures with the §6.1 envelope — plus the teaching echo on
``SignatureDoesNotMatch`` when the emulator is in teaching mode.

    >>> from imgx_kit.emulator.auth import scheme_of
    >>> scheme_of("AWS4-HMAC-SHA256 Credential=AK/20250101/cn-north-1/imagex/aws4_request, …", "")
    'AWS4'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Callable

from werkzeug.wrappers import Response

from ..core import presets
from ..core.credentials import Credentials
from ..core.declared import scheme_word
from ..core.signer import Signer, Verification, parse_authorization
from .context import Ctx
from .routing import host_name
from .runtime import IMAGEX_REGIONS_SG, IMAGEX_REGIONS_US, IMAGEX_REGIONS_VOLC
from .envelopes import gateway_error, gateway_message, json_response, request_id, teaching_echo

__all__ = ["GatewayCall", "scheme_of", "verify_gateway", "gateway_fail"]

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


def verify_gateway(ctx: Ctx, call: GatewayCall, *, kind: str) -> tuple[Verification | None, Response | None]:
    """Verify the request's signature for ``kind`` ``"imagex"`` (AWS4 web flavour or VOLC
    ``ImageX``/``imagex``) or ``"cv"`` (VOLC ``cv``). Returns ``(verification, None)`` when
    accepted, else ``(verification or None, error response)``."""
    emu, req = ctx.emu, ctx.req
    scheme = scheme_of(req.header("Authorization"), req.query)
    state = emu.state
    if scheme == "?":
        v = Verification(False, "InvalidAuthorization",
                         "Invalid 'Authorization' header, Pls check authorization header.", status=400)
        return v, gateway_fail(ctx, call, v)
    if scheme is None:
        scheme = "AWS4" if kind == "imagex" else "VOLC"
    if kind == "imagex" and scheme == "AWS4":
        signer: Signer = presets.JIMENG_IMAGEX
        lookup = _lookup(state.lookup_sts, state.lookup_volc)
        required: tuple[str, ...] = ()
    elif kind == "imagex":
        p = parse_authorization(req.header("Authorization") or "")
        signer = _IMAGEX_VOLC.get(p.service if p else "ImageX", presets.IMAGEX_OPENAPI)
        lookup = _lookup(state.lookup_volc, state.lookup_sts)
        required = ()
    else:
        if scheme == "AWS4":
            v = Verification(False, "InvalidAuthorization",
                             "Invalid 'Authorization' header, Pls check authorization header.", status=400)
            return v, gateway_fail(ctx, call, v)
        signer = presets.VOLC_CV
        lookup = _lookup(state.lookup_volc, state.lookup_sts)
        required = ("host",)
    allowed = allowed_regions(ctx, kind, scheme) if kind == "imagex" else ()
    v = signer.verify(req, lookup, now=ctx.now, max_skew=emu.max_skew, accept_regions=allowed,
                      required=required)
    if v.ok and kind == "imagex" and v.parsed is not None and v.parsed.region not in \
            allowed_regions(ctx, kind, scheme, v.parsed.access_key):
        v = Verification(False, "SignatureDoesNotMatch",
                         f"the region {v.parsed.region!r} in the credential scope is not one this host "
                         f"and token sign with ({', '.join(allowed_regions(ctx, kind, scheme, v.parsed.access_key))})",
                         status=401, parsed=v.parsed, expected=v.expected)
    ctx.verdict(v.code, v.message, v.expected, scheme)
    if v.ok:
        return v, None
    return v, gateway_fail(ctx, call, v, scheme=scheme)


def allowed_regions(ctx: Ctx, kind: str, scheme: str, access_key: str | None = None) -> tuple[str, ...]:
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
                    "sg": IMAGEX_REGIONS_SG}.get(flavour or "", None)
    else:
        by_token = IMAGEX_REGIONS_VOLC
    if access_key is None:                      # before the AK is known: the widest set
        sets = [s for s in (by_host,) if s is not None]
        return sets[0] if sets else tuple(dict.fromkeys(("cn-north-1", *ctx.emu.imagex_regions,
                                                           *IMAGEX_REGIONS_SG, *IMAGEX_REGIONS_VOLC)))
    if by_token is None:                        # long-term VOLC keys signing AWS4
        by_token = IMAGEX_REGIONS_VOLC
    return tuple(r for r in by_token if by_host is None or r in by_host)


def gateway_fail(ctx: Ctx, call: GatewayCall, v: Verification, scheme: str | None = None) -> Response:
    """The §6.1 envelope for a failed verification (teaching echo on SignatureDoesNotMatch)."""
    code = v.code or "SignatureDoesNotMatch"
    ctx.verdict(code, v.message, v.expected, scheme)
    region = v.parsed.region if v.parsed is not None and v.parsed.region else call.region
    status = v.status
    if code == "InvalidTimestamp":
        status = ctx.emu.invalid_timestamp_status
    message = gateway_message(code, v.message)
    teaching = None
    if code == "SignatureDoesNotMatch" and ctx.emu.teaching:
        teaching = teaching_echo(scheme or "AWS4", v.expected, v.message)
    st, body = gateway_error(code, action=call.action, version=call.version, service=call.service,
                             region=region, message=message, request_id=request_id(ctx.now),
                             status=status, teaching=teaching)
    return json_response(st, body)


def gateway_answer(ctx: Ctx, call: GatewayCall, code: str, message: str | None = None,
                   status: int | None = None) -> Response:
    """A gateway-envelope error that is not about the signature (routing, parameters)."""
    ctx.verdict(code, message or gateway_message(code))
    st, body = gateway_error(code, action=call.action, version=call.version, service=call.service,
                             region=call.region, message=message, request_id=request_id(ctx.now),
                             status=status)
    return json_response(st, body)


def check_action(ctx: Ctx, call: GatewayCall, known: "Iterable[str]", version: str) -> Response | None:
    """The gateway's routing checks: Action and Version present (MissingParameter) and known
    (InvalidActionOrVersion). ``None`` when the call may go on."""
    action, got = ctx.q("Action"), ctx.q("Version")
    if not action:
        return gateway_answer(ctx, call, "MissingParameter", "The request is missing Action parameter.")
    if not got:
        return gateway_answer(ctx, call, "MissingParameter", "The request is missing Version parameter.")
    if action not in known or got != version:
        return gateway_answer(ctx, call, "InvalidActionOrVersion",
                              f"Could not find operation {action} for version {got}.")
    return None

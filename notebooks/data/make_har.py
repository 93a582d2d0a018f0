"""Write cvprocess_cache_buster.har, the browser export that notebook 03 (§8) diagnoses.

Entry 2 is real emulator traffic: a CVProcess call signed at 2025-01-01T08:00:00Z with the
emulator's public demo keys, to which a front-end wrapper then added the cache-buster ``_t``; its
response is what the emulator (teaching mode, seed 0) answered. Entries 0 and 1 (the page, the CORS
preflight) are typical browser entries written by hand. Addresses are documentation ones
(example.com, 203.0.113.0/24). Run from the repository root:

    python notebooks/data/make_har.py
"""
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

import imgx_kit as ik

# the 8x8 picture and mask of notebook 03
TINY_IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAxklEQVR42lXBTWoCMRQA4PeSPH/IzMjYMIsKgmtXhYLiyp1uPYx3cd07eAPBhdILiOJCBG1LW2YmMUYT134fvk1X8EyS1a7KVFJRMamYVEJpVGk33Ww86ygrVEKIAjCAD8jqxKP5YSLli8jS2F3/8AqYYJkvrZUb/S5r38Lzde3zIzv47ah7+lrvjud+d+hA82bPDQrdx8siyk0QXv8b/LndHc96jeK33OR6L83lXsaMG7gZW4hqwP0r8VadPDQ4CwTSOSbgAV+5TsqAdP4OAAAAAElFTkSuQmCC"
TINY_MASK = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAG0lEQVR42mNgQAeMDAz/GRgYGBmYYCKYDEwAADRSAQiRgurpAAAAAElFTkSuQmCC"
AT = datetime(2025, 1, 1, 8, 0, tzinfo=timezone.utc)
payload = {"req_key": "i2i_inpainting", "binary_data_base64": [TINY_IMAGE, TINY_MASK], "seed": 0}
body = json.dumps(payload, separators=(",", ":"))
CV = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"


def h(pairs):
    """HAR name/value objects."""
    return [{"name": k, "value": v} for k, v in pairs]


def qs(u):
    """A HAR queryString list."""
    return [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(u).query)]


def main() -> None:
    """Record entry 2 from a running emulator and write the HAR next to this script."""
    with ik.emulator.running(teaching=True, seed=0) as emu:
        emu.advance((AT - emu.now()).total_seconds())
        req = ik.HttpRequest.build("POST", CV, [("Content-Type", "application/json")], body)
        t = ik.presets.VOLC_CV.sign(req, emu.demo_volc_credentials, at=AT)
        s = t.signed_request
        url = CV + "&_t=1735718400412"
        ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        hdrs = [(":authority", "visual.volcengineapi.com"), (":method", "POST"),
                (":path", url.split("volcengineapi.com", 1)[1]), (":scheme", "https"),
                ("accept", "application/json, text/plain, */*"), ("accept-encoding", "gzip, deflate, br, zstd"),
                ("accept-language", "en-US,en;q=0.9"), ("authorization", s.header("Authorization")),
                ("content-length", str(len(body))), ("content-type", "application/json"),
                ("origin", "https://app.example.com"), ("priority", "u=1, i"),
                ("referer", "https://app.example.com/editor"), ("sec-fetch-dest", "empty"),
                ("sec-fetch-mode", "cors"), ("sec-fetch-site", "cross-site"), ("user-agent", ua),
                ("x-content-sha256", s.header("X-Content-Sha256")), ("x-date", s.header("X-Date"))]
        wire = {k: v for k, v in hdrs if not k.startswith(":")}
        wire["Host"] = "visual.volcengineapi.com"
        r = requests.post(emu.url + url.split("volcengineapi.com", 1)[1], headers=wire, data=body)
        assert r.status_code == 401, r.text
        answer = r.text

    page = "<!doctype html><title>Editor</title><script src=/app.js></script>"
    entries = [
        {"startedDateTime": "2025-01-01T07:59:58.870Z", "time": 83.1,
         "request": {"method": "GET", "url": "https://app.example.com/editor", "httpVersion": "h2",
                     "headers": h([(":authority", "app.example.com"), (":method", "GET"), (":path", "/editor"),
                                   (":scheme", "https"), ("accept", "text/html"), ("user-agent", ua)]),
                     "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
         "response": {"status": 200, "statusText": "", "httpVersion": "h2",
                      "headers": h([("content-type", "text/html; charset=utf-8")]), "cookies": [],
                      "content": {"size": len(page), "mimeType": "text/html", "text": page},
                      "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 412},
         "cache": {}, "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1,
                                  "wait": 80.3, "receive": 1.5}, "serverIPAddress": "203.0.113.10",
         "_resourceType": "document"},
        {"startedDateTime": "2025-01-01T08:00:00.301Z", "time": 40.7,
         "request": {"method": "OPTIONS", "url": url, "httpVersion": "h2",
                     "headers": h([(":authority", "visual.volcengineapi.com"), (":method", "OPTIONS"),
                                   (":path", url.split("volcengineapi.com", 1)[1]), (":scheme", "https"),
                                   ("access-control-request-headers", "authorization,content-type,x-content-sha256,x-date"),
                                   ("access-control-request-method", "POST"), ("origin", "https://app.example.com"),
                                   ("user-agent", ua)]),
                     "queryString": qs(url), "cookies": [], "headersSize": -1, "bodySize": 0},
         "response": {"status": 204, "statusText": "", "httpVersion": "h2",
                      "headers": h([("access-control-allow-origin", "https://app.example.com"),
                                    ("access-control-allow-methods", "POST"),
                                    ("access-control-allow-headers", "authorization,content-type,x-content-sha256,x-date")]),
                      "cookies": [], "content": {"size": 0, "mimeType": "x-unknown"},
                      "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 120},
         "cache": {}, "timings": {"blocked": 0.8, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1,
                                  "wait": 39.0, "receive": 0.8}, "serverIPAddress": "203.0.113.20",
         "_resourceType": "preflight"},
        {"startedDateTime": "2025-01-01T08:00:00.412Z", "time": 57.9,
         "request": {"method": "POST", "url": url, "httpVersion": "h2", "headers": h(hdrs),
                     "queryString": qs(url), "cookies": [], "headersSize": -1, "bodySize": len(body),
                     "postData": {"mimeType": "application/json", "text": body}},
         "response": {"status": 401, "statusText": "", "httpVersion": "h2",
                      "headers": h([("content-type", "application/json"),
                                    ("access-control-allow-origin", "https://app.example.com")]),
                      "cookies": [], "content": {"size": len(answer), "mimeType": "application/json", "text": answer},
                      "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": len(answer) + 90},
         "cache": {}, "timings": {"blocked": 0.9, "dns": -1, "ssl": -1, "connect": -1, "send": 0.2,
                                  "wait": 55.6, "receive": 1.2}, "serverIPAddress": "203.0.113.20",
         "_resourceType": "fetch"},
    ]
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [], "entries": entries}}
    out = Path(__file__).with_name("cvprocess_cache_buster.har")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(har, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()

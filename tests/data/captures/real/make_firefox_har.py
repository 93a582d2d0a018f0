"""Regenerate firefox_netmonitor.har: serve a page on 127.0.0.1 whose fetch() calls Firefox's own
DevTools netmonitor auto-exports as HAR (Debian firefox-esr, headless, a fresh profile).

Run as root inside a loopback-only network namespace, with the project installed:
    unshare --net sh -c 'ip link set lo up && python tests/data/captures/real/make_firefox_har.py WORKDIR'
It writes WORKDIR/out/*.har (copy it over firefox_netmonitor.har) and WORKDIR/received.json (what
the server received, for comparison). Not part of the test suite.
"""
import json, os, socket, subprocess, sys, threading, time, shutil
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ffhar"
os.makedirs(WORK, exist_ok=True)
import imgx_kit as ik
from imgx_kit.core.presets import JIMENG_IMAGEX

OUT = os.path.join(WORK, "out")
SENT = json.load(open(os.path.join(HERE, "sent.json")))
CREDS = ik.Credentials(**SENT["credentials"])
AT = datetime(2025, 1, 1, 8, 30, 0, tzinfo=timezone.utc)

s = socket.socket(); s.bind(("127.0.0.1", 0)); PORT = s.getsockname()[1]; s.close()
BASE = f"http://127.0.0.1:{PORT}"
POST_URL = f"{BASE}/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgxdemo01"
POST_BODY = json.dumps({"SessionKey": "eyJmYWtlIjoic2Vzc2lvbiJ9", "SuccessOids": ["tos-cn-i-imgxdemo01/fake0001"],
                        "note": "去掉猫 \"quoted\" it's a+b=c"}, ensure_ascii=False, separators=(",", ":"))
signed = JIMENG_IMAGEX.sign(ik.HttpRequest.build("POST", POST_URL, [("content-type", "application/json")],
                                                 POST_BODY.encode()), CREDS, at=AT).signed_request
GET_URL = JIMENG_IMAGEX.presign(ik.HttpRequest.build(
    "GET", f"{BASE}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgxdemo01&FileSize=256"),
    CREDS, expires=900, at=AT).signed_request.url
plan = {"port": PORT, "post_url": POST_URL, "post_body": POST_BODY, "post_headers": list(map(list, signed.headers)),
        "get_url": GET_URL}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>imgx-kit HAR capture</title></head><body>
<p>capturing</p><img src="/hold" alt="">
<script>
const P = %s;
(async () => {
  const log = [];
  let r = await fetch(P.post_url, {method: "POST", headers: P.post_headers, body: P.post_body});
  log.push(r.status + " " + await r.text());
  r = await fetch(P.get_url);
  log.push(r.status + " " + await r.text());
  r = await fetch("/mweb/v1/feedback?aid=513695", {method: "POST",
        body: new URLSearchParams({text: "去掉猫 & it's", score: "5", tags: "a b+c"})});
  log.push(r.status + " " + await r.text());
  const bytes = new Uint8Array(256); for (let i = 0; i < 256; i++) bytes[i] = i;
  r = await fetch("/upload/tos-cn-i-imgxdemo01/fake0001", {method: "PUT",
        headers: {"Content-Type": "application/octet-stream", "Content-CRC32": "29058c73"}, body: bytes});
  log.push(r.status + " " + await r.text());
  document.title = "done";
  setTimeout(() => { location.href = "/done"; }, 4000);
})();
</script></body></html>""" % json.dumps(plan, ensure_ascii=False)

START = """<!doctype html><html><head><meta charset="utf-8"><title>start</title></head><body>start
<script>document.cookie = "sessionid=fakefakefakefakefakefakefakefake; path=/";
document.cookie = "sid_guard=fakeguard%7C1735689600%7C5184000; path=/";
setTimeout(() => { location.href = "/page"; }, 8000);</script></body></html>"""

received, put_seen, finished = [], threading.Event(), threading.Event()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path
        rec = {"method": self.command, "target": path, "version": self.request_version,
               "headers": [[k, v] for k, v in self.headers.items()], "body_hex": body.hex()}
        ctype, status = "application/json", 200
        if path.startswith("/start"):
            out, ctype = START.encode(), "text/html; charset=utf-8"
        elif path.startswith("/page"):
            out, ctype = PAGE.encode(), "text/html; charset=utf-8"
        elif path.startswith("/hold"):
            put_seen.wait(60)
            out, ctype = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"), "image/png"
        elif path.startswith("/done"):
            out, ctype = b"<!doctype html><title>done</title>done", "text/html"
            threading.Timer(8, finished.set).start()
        elif path.startswith("/favicon"):
            out, status = b"", 404
        else:
            received.append(rec)
            out = json.dumps({"ResponseMetadata": {"RequestId": f"fake{len(received)}"}, "got": len(body)}).encode()
            if self.command == "PUT":
                put_seen.set()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, fmt, *a):
        print("srv:", fmt % a, file=sys.stderr)


srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()

prof = os.path.join(WORK, "profile")
shutil.rmtree(prof, ignore_errors=True); shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(prof); os.makedirs(OUT)
prefs = {
    "devtools.netmonitor.har.enableAutoExportToFile": True,
    "devtools.netmonitor.har.defaultLogDir": OUT,
    "devtools.netmonitor.har.includeResponseBodies": True,
    "devtools.toolbox.selectedTool": "netmonitor",
    "devtools.netmonitor.persistlog": False,
    "app.update.enabled": False, "app.update.auto": False,
    "browser.safebrowsing.malware.enabled": False, "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False, "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False, "browser.safebrowsing.provider.mozilla.updateURL": "",
    "network.captive-portal-service.enabled": False, "network.connectivity-service.enabled": False,
    "datareporting.healthreport.uploadEnabled": False, "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False, "toolkit.telemetry.unified": False, "toolkit.telemetry.server": "",
    "browser.newtabpage.enabled": False, "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False, "browser.search.update": False, "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore", "browser.aboutwelcome.enabled": False,
    "network.dns.disablePrefetch": True, "network.prefetch-next": False, "network.http.speculative-parallel-limit": 0,
    "services.settings.server": "http://127.0.0.1:1/", "browser.ping-centre.telemetry": False,
    "app.normandy.enabled": False, "app.shield.optoutstudies.enabled": False,
    "network.trr.mode": 5, "browser.region.update.enabled": False, "browser.region.network.url": "",
    "geo.provider.network.url": "", "media.gmp-manager.url": "", "extensions.blocklist.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
}
with open(os.path.join(prof, "user.js"), "w") as f:
    for k, v in prefs.items():
        f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")

args = ["firefox-esr", "--no-remote", "--profile", prof, "--devtools", f"{BASE}/start"]
if os.environ.get("HEADLESS", "1") == "1":
    args.insert(1, "--headless")
ff = subprocess.Popen(args, stdout=open(os.path.join(WORK, "ff.log"), "w"), stderr=subprocess.STDOUT)
print("firefox pid", ff.pid, "port", PORT, flush=True)
ok = finished.wait(120)
ff.terminate()
try:
    ff.wait(20)
except subprocess.TimeoutExpired:
    ff.kill()
json.dump({"plan": plan, "received": received, "finished": ok,
           "firefox": subprocess.run(["firefox-esr", "--version"], capture_output=True, text=True).stdout.strip()},
          open(os.path.join(WORK, "received.json"), "w"), ensure_ascii=False, indent=1)
print("finished", ok, "received", len(received), "files", os.listdir(OUT))

// Sign requests with npm `aws4` and `@smithy/signature-v4` (versions pinned in tests/data/node/package.json).
// Reads a JSON list of jobs on stdin, writes a JSON list of signed requests on stdout. Used by make_corpus.py.
//   job: {lib: "aws4"|"smithy", method, host, path (raw, as on the wire, no query), query: [[k, v]] (decoded),
//         headers: {name: value}, body (utf-8 text), region, service, ak, sk, token, date (YYYYMMDDTHHMMSSZ),
//         presign: bool, expires, uriEscapePath (smithy)}
//   out: {method, url, headers: [[k, v]], body}
"use strict";
const path = require("path");
const NODE = path.join(__dirname, "..", "node", "node_modules");
const aws4 = require(path.join(NODE, "aws4"));
const { SignatureV4 } = require(path.join(NODE, "@smithy", "signature-v4"));
const { Sha256 } = require(path.join(NODE, "@aws-crypto", "sha256-js"));

const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const qs = (pairs) => pairs.map(([k, v]) => rfc3986(k) + "=" + rfc3986(v)).join("&");

function when(date) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function signAws4(job) {
  const headers = Object.assign({}, job.headers);
  const q = qs(job.query || []);
  const opts = { host: job.host, method: job.method, path: job.path + (q ? "?" + q : ""), headers,
                 service: job.service, region: job.region };
  if (job.body) opts.body = job.body;
  if (job.presign) {
    opts.signQuery = true;
    opts.path += (q ? "&" : "?") + "X-Amz-Date=" + job.date + (job.expires ? "&X-Amz-Expires=" + job.expires : "");
  } else {
    headers["X-Amz-Date"] = job.date;           // aws4 reuses an existing X-Amz-Date (oracles.md §4)
  }
  const creds = { accessKeyId: job.ak, secretAccessKey: job.sk };
  if (job.token) creds.sessionToken = job.token;
  aws4.sign(opts, creds);
  const out = Object.entries(opts.headers).map(([k, v]) => [k, String(v)]);
  if (!out.some(([k]) => k.toLowerCase() === "host")) out.unshift(["Host", job.host]);
  return { method: job.method, url: "https://" + job.host + opts.path, headers: out, body: job.body || "" };
}

async function signSmithy(job) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: job.ak, secretAccessKey: job.sk, sessionToken: job.token || undefined },
    region: job.region, service: job.service, sha256: Sha256, uriEscapePath: job.uriEscapePath !== false,
    applyChecksum: job.applyChecksum !== false,
  });
  const query = {};
  for (const [k, v] of job.query || []) query[k] = v;
  const headers = Object.assign({ host: job.host }, job.headers);
  const req = { method: job.method, protocol: "https:", hostname: job.host, path: job.path, query, headers,
                body: job.body || undefined };
  const at = when(job.date);
  const signed = job.presign ? await signer.presign(req, { signingDate: at, expiresIn: job.expires || 900 })
                             : await signer.sign(req, { signingDate: at });
  const pairs = Object.entries(signed.query || {}).map(([k, v]) => [k, String(v)]);
  const q = qs(pairs);
  return { method: job.method, url: "https://" + job.host + job.path + (q ? "?" + q : ""),
           headers: Object.entries(signed.headers).map(([k, v]) => [k, String(v)]), body: job.body || "" };
}

async function main() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const out = [];
  for (const job of JSON.parse(text)) out.push(job.lib === "aws4" ? signAws4(job) : await signSmithy(job));
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });

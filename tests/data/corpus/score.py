"""Score ik.diagnose on the real-world corpus (corpus.json, written by make_corpus.py).

    PYTHONPATH=. python tests/data/corpus/score.py          # the table and the totals
    PYTHONPATH=. python tests/data/corpus/score.py -v       # also every miss

top-1: the first cause is the expected id (a valid request: verdict "valid" and no medium/high cause);
top-3: the expected id is among the first three; broken-judged-valid: verdict "valid" for a broken
request; confident-wrong: a valid request blamed at medium/high, or a wrong-secret case blamed on
another cause at medium/high.
"""
from __future__ import annotations

import base64
import json
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import imgx_kit as ik

CORPUS = Path(__file__).resolve().parent / "corpus.json"
BUDGET_MS = 2000.0
_WRONG_SECRET = ("secret-key-mismatch", "secret-whitespace", "secret-special-chars-mangled", "access-key-secret-swapped")


class Outcome(NamedTuple):
    case: dict[str, Any]
    diagnosis: ik.Diagnosis
    top1: bool
    top3: bool
    judged_valid: bool
    confident_wrong: bool


class Score(NamedTuple):
    outcomes: list[Outcome]

    @property
    def n(self) -> int:
        return len(self.outcomes)

    def rate(self, field: str) -> float:
        return sum(getattr(o, field) for o in self.outcomes) / self.n

    def count(self, field: str) -> int:
        return sum(getattr(o, field) for o in self.outcomes)

    @property
    def broken_judged_valid(self) -> int:
        return sum(o.judged_valid for o in self.outcomes if o.case["expected"] != "valid")


def load() -> list[dict[str, Any]]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]


def request_of(case: dict[str, Any]) -> ik.HttpRequest:
    r = case["request"]
    return ik.HttpRequest.build(r["method"], r["url"], [tuple(h) for h in r["headers"]], base64.b64decode(r["body_b64"]))


def creds_of(case: dict[str, Any]) -> ik.Credentials | None:
    c = case["creds"]
    if c is None:
        return None
    exp = datetime.fromisoformat(c["expires_at"]) if c.get("expires_at") else None
    return ik.Credentials(c["access_key"], c["secret_key"], c.get("session_token"), expires_at=exp)


def signer_of(case: dict[str, Any]) -> ik.Signer | None:
    s = case["signer"]
    if s is None:
        return None
    return ik.Signer(ik.core.scheme.scheme_by_name(s["scheme"]), s["region"], s["service"],
                     signed_headers=s.get("signed_headers"), s3=s.get("s3"))


def judge(case: dict[str, Any]) -> Outcome:
    # accuracy is judged with room to finish every search (benchmarks/diagnose.py times the default
    # budget): on a busy shared machine the default 100 ms can cut the search short
    d = ik.diagnose(request_of(case), creds_of(case), signer=signer_of(case),
                    server_response=case.get("server_response"), now=datetime.fromisoformat(case["now"]),
                    budget_ms=BUDGET_MS)
    want = case["expected"]
    ids = d.cause_ids()
    strong = [c.id for c in d.causes if c.confidence in ("high", "medium")]
    if want == "valid":
        ok = d.verdict == "valid" and not strong
        return Outcome(case, d, ok, ok, d.verdict == "valid", bool(strong))
    wrong = want in _WRONG_SECRET and any(c != want for c in strong)
    return Outcome(case, d, ids[:1] == [want], want in ids[:3], d.verdict == "valid", wrong)


def score(cases: list[dict[str, Any]] | None = None) -> Score:
    return Score([judge(c) for c in (cases if cases is not None else load())])


def report(s: Score, verbose: bool = False) -> str:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for o in s.outcomes:
        for key in (o.case["scheme"], "cause " + o.case["expected"]):
            row = per[key]
            row[0] += 1
            row[1] += o.top1
            row[2] += o.top3
    lines = [f"{'':44} {'n':>4} {'top1':>5} {'top3':>5}"]
    lines += [f"{k:44} {r[0]:>4} {r[1]:>5} {r[2]:>5}" for k, r in sorted(per.items())]
    ids = {o.case["expected"] for o in s.outcomes} - {"valid"}
    lines.append(f"corpus: {s.n} cases, {len(ids)} catalogue ids, {sum(o.case['expected'] == 'valid' for o in s.outcomes)} valid")
    lines.append(f"top-1 {s.rate('top1'):.1%}  top-3 {s.rate('top3'):.1%}  broken judged valid {s.broken_judged_valid}  "
                 f"confident-wrong {s.count('confident_wrong')}")
    if verbose:
        for o in s.outcomes:
            if not (o.top1 and o.top3) or o.confident_wrong:
                got = ", ".join(f"{c.id}[{c.confidence}]" for c in o.diagnosis.causes[:4]) or o.diagnosis.verdict
                lines.append(f"MISS {o.case['id']} ({o.case['producer']}: {o.case['mistake']}): want {o.case['expected']}, got {got}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(score(), verbose="-v" in sys.argv))

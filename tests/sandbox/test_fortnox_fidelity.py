"""Replay the real recorded Fortnox traffic (../shared/fortnox/recorded, VCR cassettes) against the sandbox.

For every interaction on an implemented endpoint: reset the sandbox, seed what the request refers to (ids and
search values taken from the recorded request/response), send the recorded request with sandbox credentials, and
compare status, envelope, field names and JSON types with the recorded response (values may differ; null is
compatible with any type because it is a value; a field whose type differs between recordings, e.g.
Invoice.ContractReference 0 (2023) vs "0" (2024), accepts either). ErrorInformation bodies must match exactly
except for nothing (code, message, casing); OAuth/401 bodies and Content-Type must match exactly.

The match rate over replayable interactions must be >= 90 %. The report goes to docs/fortnox-fidelity.md.
"""
from __future__ import annotations

import glob
import json
import os
import urllib.parse
from pathlib import Path

import pytest
import requests
import yaml

from woofort_sandboxes.fortnox import FortnoxSandbox

# The shared reference sits beside the checkout: ../shared/ from the repository root.
RECORDED = os.environ.get("FORTNOX_RECORDED") or str(
    (Path(__file__).resolve().parents[2] / ".." / "shared" / "fortnox" / "recorded").resolve())
REPORT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "fortnox-fidelity.md")
NOT_IMPLEMENTED = {"orders": "orders are not implemented (woofort books invoices directly)",
                   "projects": "projects are not implemented", "units": "units are not implemented"}
ENTITY_KEYS = {"articles": "Article", "customers": "Customer", "invoices": "Invoice"}


def load_interactions() -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(RECORDED, "**", "*.yml"), recursive=True)):
        rel = os.path.relpath(path, RECORDED)
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        for i, it in enumerate(data.get("http_interactions", [])):
            req, resp = it["request"], it["response"]
            out.append({"name": f"{rel}#{i}", "file": rel, "method": req["method"].upper(), "uri": req["uri"],
                        "body": req["body"].get("string") or "", "status": resp["status"]["code"],
                        "resp_body": resp["body"].get("string") or "",
                        "content_type": (resp["headers"].get("Content-Type") or [""])[0]})
    return out


# ------------------------------------------------------------------------------------------ type registry
def jtype(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def walk(node, path: str, reg: dict) -> None:
    """Collect {path: {field: set(types)}} from a recorded body."""
    if isinstance(node, dict):
        fields = reg.setdefault(path, {})
        for k, v in node.items():
            fields.setdefault(k, set()).add(jtype(v))
            walk(v, f"{path}.{k}", reg)
    elif isinstance(node, list):
        for item in node:
            walk(item, f"{path}[]", reg)


def build_registry(interactions) -> dict:
    reg: dict = {}
    for it in interactions:
        try:
            walk(json.loads(it["resp_body"]), "$", reg)
        except ValueError:
            pass
    return reg


def compare(rec, got, path: str, reg: dict, diffs: list) -> None:
    if isinstance(rec, dict) and isinstance(got, dict):
        allowed = reg.get(path, {})
        for k, v in rec.items():
            if k not in got:
                diffs.append(f"{path}.{k}: missing in sandbox")
                continue
            g = got[k]
            tr, tg = jtype(v), jtype(g)
            if tr != tg and "null" not in (tr, tg) and tg not in allowed.get(k, set()):
                diffs.append(f"{path}.{k}: type {tg} (sandbox) vs {tr} (recorded)")
                continue
            compare(v, g, f"{path}.{k}", reg, diffs)
        for k in got:
            if k not in rec and k not in allowed:
                diffs.append(f"{path}.{k}: extra field in sandbox")
    elif isinstance(rec, list) and isinstance(got, list):
        if rec and got:
            for r in rec[:1]:
                compare(r, got[0], f"{path}[]", reg, diffs)
        elif rec and not got:
            diffs.append(f"{path}: sandbox list empty, recorded has {len(rec)}")


# ------------------------------------------------------------------------------------------ seeding
def _auth_header(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}


class Seeder:
    def __init__(self, sb: FortnoxSandbox):
        self.sb = sb
        self.h = _auth_header(sb.issue_access_token())
        self.url = sb.api_url

    def post(self, path, body):
        r = requests.post(self.url + path, json=body, headers=self.h, timeout=10)
        assert r.status_code in (200, 201), (path, body, r.text)
        return r.json()

    def customer(self, number="1", **fields):
        if number in self.sb.state.docs["customers"]:
            return
        base = {"Name": "Updated name", "City": "New York", "ZipCode": "10001"}
        base.update({k: v for k, v in fields.items() if v not in (None, "")})
        self.post("/3/customers", {"Customer": {"CustomerNumber": number, **base}})

    def article(self, number="101", **fields):
        if number in self.sb.state.docs["articles"]:
            return
        base = {"Description": "Hammer"}
        base.update({k: v for k, v in fields.items() if v not in (None, "")})
        self.post("/3/articles", {"Article": {"ArticleNumber": number, **base}})

    def invoice(self, number="1", customer="1", **fields):
        if number in self.sb.state.docs["invoices"]:
            return
        self.customer(customer)
        body = {"DocumentNumber": number, "CustomerNumber": customer}
        body.update({k: v for k, v in fields.items() if v not in (None, "")})
        self.post("/3/invoices", {"Invoice": body})


SEARCH_FIELDS = {"articles": {"description": "Description", "articlenumber": None, "ean": "EAN"},
                 "customers": {"name": "Name", "city": "City", "zipcode": "ZipCode", "email": "Email"},
                 "invoices": {"yourreference": "YourReference", "ourreference": "OurReference",
                              "customername": None, "externalinvoicereference1": "ExternalInvoiceReference1"}}


def seed_for(sb: FortnoxSandbox, it: dict, resource: str, rest: list[str], query: dict, recorded) -> None:
    if resource == "termsofpayments":    # reference data: the recorded codes, as the company had them
        items = (recorded or {}).get("TermsOfPayments") or [(recorded or {}).get("TermsOfPayment") or {}]
        sb.state.seed_reference({"termsofpayments": [t for t in items if t.get("Code")] if it["status"] == 200 else []})
        if it["method"] == "PUT":
            sb.state.seed_reference({"termsofpayments": [{"Code": rest[0], "Description": "before"}]})
        return
    s = Seeder(sb)
    s.customer("1")
    s.article("101")
    key = ENTITY_KEYS[resource]
    if rest and rest[0] and it["status"] == 200:  # GET/PUT on an id that existed
        number = rest[0]
        if resource == "articles":
            s.article(number, Description=recorded["Article"].get("Description"))
        elif resource == "customers":
            s.customer(number, Name=recorded["Customer"].get("Name"))
        else:
            s.invoice(number, recorded["Invoice"].get("CustomerNumber") or "1")
    if isinstance(recorded, dict) and f"{key}s" in recorded:
        search = {SEARCH_FIELDS[resource].get(k): v for k, v in query.items()
                  if SEARCH_FIELDS[resource].get(k)}
        for item in recorded[f"{key}s"]:
            if resource == "articles":
                s.article(item["ArticleNumber"], **{"Description": item.get("Description"), "EAN": item.get("EAN"),
                                                    **search})
            elif resource == "customers":
                s.customer(item["CustomerNumber"], **{"Name": item.get("Name"), "City": item.get("City"),
                                                      "ZipCode": item.get("ZipCode"), **search})
            else:
                cust = item["CustomerNumber"]
                s.customer(cust, Name=item.get("CustomerName"))
                s.invoice(item["DocumentNumber"], cust, **search)
                if item.get("Booked"):
                    r = requests.put(f"{s.url}/3/invoices/{item['DocumentNumber']}/bookkeep", headers=s.h, timeout=10)
                    assert r.status_code == 200, r.text


# ------------------------------------------------------------------------------------------ replay
def replay(sb: FortnoxSandbox, it: dict) -> tuple[str, list[str]]:
    """Return (outcome, diffs) with outcome in {"match", "diff", "skip:<reason>"}."""
    parsed = urllib.parse.urlsplit(it["uri"])
    parts = [p for p in parsed.path.split("/") if p]
    sb.reset()
    if parsed.path.startswith("/oauth-v1/token"):
        return replay_token(sb, it)
    if parts[:1] != ["3"] or len(parts) < 2:
        return "skip:not a /3 endpoint", []
    resource, rest = parts[1], parts[2:]
    if resource in NOT_IMPLEMENTED:
        return f"skip:{NOT_IMPLEMENTED[resource]}", []
    if "<" in it["body"]:
        return "skip:request body redacted in the cassette (replaced by a credential placeholder)", []
    if it["file"].startswith("authentication/"):
        token = sb.issue_access_token()
        sb.advance_time(3601)  # the recorded call used an expired token
        r = requests.request(it["method"], sb.api_url + parsed.path, headers=_auth_header(token), timeout=10)
        return exact(it, r)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    try:
        recorded = json.loads(it["resp_body"])
    except ValueError:
        recorded = None
    seed_for(sb, it, resource, rest, query, recorded)
    token = sb.issue_access_token()
    r = requests.request(it["method"], sb.api_url + parsed.path + ("?" + parsed.query if parsed.query else ""),
                         data=it["body"].encode() if it["body"] else None, headers=_auth_header(token), timeout=10)
    return shape(it, r, recorded)


def exact(it, r) -> tuple[str, list[str]]:
    diffs = []
    if r.status_code != it["status"]:
        diffs.append(f"status {r.status_code} vs {it['status']}")
    if json.loads(r.text or "null") != json.loads(it["resp_body"]):
        diffs.append(f"body {r.text} vs {it['resp_body']}")
    if r.headers.get("Content-Type", "").replace(" ", "").lower() != it["content_type"].replace(" ", "").lower():
        diffs.append(f"content-type {r.headers.get('Content-Type')} vs {it['content_type']}")
    return ("match" if not diffs else "diff"), diffs


def replay_token(sb: FortnoxSandbox, it: dict):
    name = it["file"]
    if "invalid_authorization" in name:
        auth, token = ("sandbox-client", "wrong-secret"), sb.issue_refresh_token()
    elif "invalid_refresh_token" in name:
        auth, token = ("sandbox-client", "sandbox-secret"), "0" * 40
    else:
        auth, token = ("sandbox-client", "sandbox-secret"), sb.issue_refresh_token()
    r = requests.post(sb.auth_url + "/oauth-v1/token", data={"grant_type": "refresh_token", "refresh_token": token},
                      auth=auth, timeout=10)
    if it["status"] != 200:
        return exact(it, r)
    diffs = []
    if r.status_code != 200:
        diffs.append(f"status {r.status_code}")
    compare(json.loads(it["resp_body"]), r.json(), "$", {}, diffs)
    if not r.headers.get("Content-Type", "").startswith("application/json"):
        diffs.append("content-type")
    return ("match" if not diffs else "diff"), diffs


REGISTRY: dict = {}


def shape(it, r, recorded) -> tuple[str, list[str]]:
    diffs = []
    if r.status_code != it["status"]:
        diffs.append(f"status {r.status_code} vs {it['status']}: {r.text[:200]}")
        return "diff", diffs
    got = r.json()
    if isinstance(recorded, dict) and "ErrorInformation" in recorded:
        if got != recorded:
            diffs.append(f"error body {json.dumps(got, ensure_ascii=False)} vs {json.dumps(recorded, ensure_ascii=False)}")
    else:
        if list(got)[:1] != list(recorded)[:1] and "MetaInformation" in recorded:
            diffs.append(f"first key {list(got)[:1]} vs {list(recorded)[:1]}")
        if set(got) != set(recorded):
            diffs.append(f"envelope {sorted(got)} vs {sorted(recorded)}")
        compare(recorded, got, "$", REGISTRY, diffs)
    return ("match" if not diffs else "diff"), diffs


HAND_WRITTEN = "<!-- hand-written below this line: kept when the report above is regenerated -->"


def write_report(results) -> tuple[int, int]:
    replayable = [r for r in results if not r[1].startswith("skip")]
    matched = [r for r in replayable if r[1] == "match"]
    lines = ["# Fortnox sandbox fidelity report (generated by tests/sandbox/test_fortnox_fidelity.py)", "",
             f"Recorded interactions: {len(results)}; replayable: {len(replayable)}; matching: {len(matched)} "
             f"({100.0 * len(matched) / max(1, len(replayable)):.1f} %).", "",
             "Comparison: status, envelope, field names and JSON types (values may differ; null matches any type; a "
             "field whose type differs between recordings accepts either). Error bodies and OAuth/401 bodies must be "
             "identical.", "", "## Differences", ""]
    for name, outcome, diffs in results:
        if outcome == "diff":
            lines.append(f"- `{name}`")
            lines.extend(f"  - {d}" for d in diffs[:10])
    lines += ["", "## Skipped", ""]
    for name, outcome, _ in results:
        if outcome.startswith("skip"):
            lines.append(f"- `{name}`: {outcome[5:]}")
    lines += ["", "## Matching", ""]
    lines += [f"- `{name}`" for name, outcome, _ in results if outcome == "match"]
    try:
        kept = ""          # the hand-written evidence below the marker survives every regeneration
        if os.path.exists(REPORT):
            text = open(REPORT, encoding="utf-8").read()
            kept = text[text.index(HAND_WRITTEN):] if HAND_WRITTEN in text else ""
        with open(REPORT, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n" + ("\n" + kept if kept else ""))
    except OSError:
        print("\n".join(lines))
    return len(matched), len(replayable)


@pytest.fixture(scope="module")
def sandbox():
    sb = FortnoxSandbox(rate_limit=100000).start()
    yield sb
    sb.stop()


@pytest.mark.skipif(not os.path.isdir(RECORDED), reason="recorded cassettes not available")
def test_fidelity_against_recorded_traffic(sandbox):
    interactions = load_interactions()
    assert len(interactions) >= 100
    REGISTRY.clear()
    REGISTRY.update(build_registry(interactions))
    results = []
    for it in interactions:
        outcome, diffs = replay(sandbox, it)
        results.append((it["name"], outcome, diffs))
    matched, replayable = write_report(results)
    rate = matched / replayable
    print(f"fidelity: {matched}/{replayable} = {rate:.1%}")
    assert replayable >= 60
    assert rate >= 0.90, [r for r in results if r[1] == "diff"][:5]


def test_comparator_detects_differences():
    reg = {"$.Article": {"A": {"number", "string"}}}
    diffs: list = []
    compare({"Article": {"A": 0, "B": "x", "C": 1}}, {"Article": {"A": "0", "B": 1, "D": None}}, "$", reg, diffs)
    assert "$.Article.B: type number (sandbox) vs string (recorded)" in diffs
    assert "$.Article.C: missing in sandbox" in diffs
    assert "$.Article.D: extra field in sandbox" in diffs
    assert not any(".A:" in d for d in diffs)  # both types seen in recordings
    diffs = []
    compare({"L": [{"x": 1}]}, {"L": []}, "$", {}, diffs)
    assert diffs == ["$.L: sandbox list empty, recorded has 1"]

#!/usr/bin/env python3
"""A loopback stand-in for AMD's Key Distribution Service, for tests only.

Serves the shared SEV-SNP fixtures under the KDS paths:
  /vcek/v1/{Milan|Genoa}/{128 hex}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=   -> <set>/vcek.der
  /vcek/v1/Turin/{16 hex}?fmcSPL=&blSPL=&teeSPL=&snpSPL=&ucodeSPL=
  /{vcek|vlek}/v1/{Product}/cert_chain                               -> amd-roots/<p>[_vlek]_cert_chain.pem
  /vcek/v1/Milan/crl                                                  -> milan-v5-gcp-atakit/milan.crl.der
VCEKs are indexed from every fixture folder holding report.bin and vcek.der
(product from the folder name prefix), keyed by chip id and REPORTED_TCB.
SPL query values are read as decimal numbers (the server is lenient; tests
check the exact request line in the log).

Every request target (path and query, exactly as received) is appended to
--log, one line each, before the answer is sent.

Misbehaviour comes from --plan, a JSON file re-read on every request:
  {"rules": [{"match": "SUBSTRING", "times": N, ...}, ...]}
The first rule whose "match" occurs in the request target and that has
uses left (times; -1 = forever; default 1) decides the answer:
  "status": 429            status code (default 200)
  "headers": {"Retry-After": "2"}
  "delay": 2.5             seconds to wait before answering
  "body": "text"           body instead of the fixture
  "body_file": "rel/path"  body from a file under the fixtures folder
  "size": 2000000          body of this many bytes of garbage
  "truncate": 100          announce the full length, send only this many bytes, close
When the plan file's text changes, the use counters start over.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRODUCTS = {"milan": "Milan", "genoa": "Genoa", "turin": "Turin"}


def tcb_components(raw, product):
    if product == "Turin":
        return {"fmc": raw[0], "bl": raw[1], "tee": raw[2], "snp": raw[3], "ucode": raw[7]}
    return {"bl": raw[0], "tee": raw[1], "snp": raw[6], "ucode": raw[7]}


def index_vceks(fixtures):
    table = {}
    for name in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, name)
        prod = PRODUCTS.get(name.split("-")[0])
        rep, vcek = os.path.join(d, "report.bin"), os.path.join(d, "vcek.der")
        if not prod or not os.path.isfile(rep) or not os.path.isfile(vcek):
            continue
        with open(rep, "rb") as f:
            r = f.read()
        if len(r) != 1184:
            continue
        chip = r[0x1A0:0x1E0]
        hwid = (chip[:8] if prod == "Turin" else chip).hex()
        comps = tcb_components(r[0x180:0x188], prod)
        key = (prod, hwid, tuple(sorted(comps.items())))
        table.setdefault(key, vcek)
    return table


class State:
    def __init__(self, args):
        self.args = args
        self.fixtures = args.fixtures
        self.vceks = index_vceks(args.fixtures)
        self.lock = threading.Lock()
        self.plan_text = None
        self.rules = []
        self.used = []

    def log(self, target):
        with self.lock, open(self.args.log, "a") as f:
            f.write(target + "\n")
            f.flush()

    def pick_rule(self, target):
        if not self.args.plan:
            return None
        try:
            with open(self.args.plan) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        with self.lock:
            if text != self.plan_text:
                self.plan_text = text
                self.rules = json.loads(text).get("rules", []) if text.strip() else []
                self.used = [0] * len(self.rules)
            for i, rule in enumerate(self.rules):
                if rule.get("match", "") not in target:
                    continue
                times = rule.get("times", 1)
                if times != -1 and self.used[i] >= times:
                    continue
                self.used[i] += 1
                return rule
        return None

    def fixture_body(self, target):
        u = urllib.parse.urlsplit(target)
        parts = u.path.strip("/").split("/")
        if len(parts) != 4 or parts[1] != "v1" or parts[0] not in ("vcek", "vlek"):
            return None
        kind, _, prod, leaf = parts
        if prod not in PRODUCTS.values():
            return None
        if leaf == "cert_chain":
            suffix = "_vlek_cert_chain.pem" if kind == "vlek" else "_cert_chain.pem"
            return os.path.join(self.fixtures, "amd-roots", prod.lower() + suffix)
        if leaf == "crl":
            if kind == "vcek" and prod == "Milan":
                return os.path.join(self.fixtures, "milan-v5-gcp-atakit", "milan.crl.der")
            return None
        if kind != "vcek":
            return None
        try:
            q = {k: int(v[0], 10) for k, v in urllib.parse.parse_qs(u.query, strict_parsing=True).items()}
        except ValueError:
            return None
        names = {"fmc": "fmcSPL", "bl": "blSPL", "tee": "teeSPL", "snp": "snpSPL", "ucode": "ucodeSPL"}
        want = set(["fmc", "bl", "tee", "snp", "ucode"] if prod == "Turin" else ["bl", "tee", "snp", "ucode"])
        if set(q) != {names[n] for n in want}:
            return None
        comps = tuple(sorted((n, q[names[n]]) for n in want))
        return self.vceks.get((prod, leaf.lower(), comps))


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet
            pass

        def do_GET(self):
            target = self.path
            state.log(target)
            rule = state.pick_rule(target)
            status, headers, body, truncate = 200, {}, None, None
            if rule:
                status = rule.get("status", 200)
                headers = rule.get("headers", {})
                if "delay" in rule:
                    time.sleep(float(rule["delay"]))
                if "body" in rule:
                    body = rule["body"].encode()
                elif "body_file" in rule:
                    with open(os.path.join(state.fixtures, rule["body_file"]), "rb") as f:
                        body = f.read()
                elif "size" in rule:
                    body = (b"\x30\x82garbage-" * (rule["size"] // 10 + 1))[: rule["size"]]
                truncate = rule.get("truncate")
            if body is None and status == 200:
                path = state.fixture_body(target)
                if path is None:
                    status, body = 404, b"not found\n"
                else:
                    with open(path, "rb") as f:
                        body = f.read()
            if body is None:
                body = b""
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, str(v))
                self.send_header("Content-Length", str(len(body)))
                if truncate is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body if truncate is None else body[: int(truncate)])
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            if truncate is not None:
                self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--plan")
    args = ap.parse_args()
    state = State(args)
    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # clients that hang up (timeouts, tests) are part of the game

    srv = Server(("127.0.0.1", 0), make_handler(state))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

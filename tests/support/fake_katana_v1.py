#!/usr/bin/env python3
"""A stand-in for Katana's v1 TEE API on 127.0.0.1, for CLI tests.

    fake_katana_v1.py DIR PORTFILE

Serves JSON-RPC 2.0 POSTs:
  tee_generateQuote [prev|null, block] -> DIR/quote-<prev|null>-<block>.json as the result,
      or error 102 "Provider error: Block hash not found for block <block>" when absent;
  tee_getEventProof [block, index] -> DIR/event-<block>-<index>.json,
      or error 103 "Event proof error: Block <block> not found";
  anything else -> -32601. Params must be a positional array of integers/null
  (else -32602), as Katana's u64 parameters demand.
Binds port 0 and writes the chosen port to PORTFILE.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, doc):
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        rid, method, params = req.get("id"), req.get("method"), req.get("params")

        def error(code, message):
            self.answer({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}})

        ints = isinstance(params, list) and len(params) == 2 and all(
            p is None or (isinstance(p, int) and not isinstance(p, bool) and p >= 0) for p in params)
        if method not in ("tee_generateQuote", "tee_getEventProof"):
            return error(-32601, "Method not found")
        if not ints or (method == "tee_getEventProof" and params[0] is None) or params[1] is None:
            return error(-32602, "Invalid params")
        if method == "tee_generateQuote":
            prev = "null" if params[0] is None else str(params[0])
            path = os.path.join(DIR, f"quote-{prev}-{params[1]}.json")
            missing = (102, f"Provider error: Block hash not found for block {params[1]}")
        else:
            path = os.path.join(DIR, f"event-{params[0]}-{params[1]}.json")
            missing = (103, f"Event proof error: Block {params[0]} not found")
        if not os.path.exists(path):
            return error(*missing)
        with open(path) as f:
            self.answer({"jsonrpc": "2.0", "id": rid, "result": json.load(f)})


DIR = sys.argv[1]
server = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()

#!/usr/bin/env python3
"""A loopback Starknet JSON-RPC node double for the `katana-tee serve` tests.

Answers are shaped as the Starknet JSON-RPC spec writes them (BLOCK_WITH_TX_HASHES,
PENDING_BLOCK_WITH_TX_HASHES of spec <= 0.8, PRE_CONFIRMED of 0.9, JSON-RPC errors).
Prints "PORT <n>" on stdout once listening on 127.0.0.1.

Methods: starknet_getBlockWithTxHashes (block_id by name or by position),
starknet_blockNumber, starknet_chainId. Test control (not JSON-RPC):
  POST /control {"mode": "ok|garbage|pending|pre_confirmed|error|http500|any_block|
                          wrong_block|huge_number",
                 "block_number": N, "block_hash": "0x..", "new_root": "0x.."}
    any_block: every {"block_number": N} exists (hash 0x1000+N, root 0x2000+N);
    wrong_block: answers with the block after the one asked for;
    huge_number: block_number 2^64-1 (beyond what a Starknet block number can be).
  POST /control {"blocks": [BLOCK_WITH_RECEIPTS, ...], "delay_ms": N}: the blocks
    starknet_getBlockWithReceipts serves (by block_number; others are error 24), and a
    delay per such call (to observe how many the client keeps in flight).
  GET /calls also reports "getBlockWithReceipts" (count) and "maxInFlight".
  Any POST path other than /control is the JSON-RPC endpoint (tokens in paths work).
With --blackhole the process accepts connections and never answers (a hung node).
  GET  /calls   {"getBlockWithTxHashes": n, "last_params": ...}
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": "ok", "block_number": 5, "block_hash": "0x2a0b", "new_root": "0x5747"}
calls = {"getBlockWithTxHashes": 0, "last_params": None, "getBlockWithReceipts": 0,
         "maxInFlight": 0}
blocks = {}
in_flight = [0]
lock = threading.Lock()

PRICE = {"price_in_fri": "0x1", "price_in_wei": "0x2"}


def block_answer(params):
    if isinstance(params, dict):
        block_id = params.get("block_id")
    elif isinstance(params, list) and len(params) == 1:
        block_id = params[0]
    else:
        return None, {"code": -32602, "message": "Invalid params"}
    if block_id is None:
        return None, {"code": -32602, "message": "Invalid params: block_id missing"}
    mode = state["mode"]
    if mode == "error":
        return None, {"code": 24, "message": "Block not found"}
    number, block_hash, new_root = state["block_number"], state["block_hash"], state["new_root"]
    asked = block_id.get("block_number") if isinstance(block_id, dict) else None
    if mode == "any_block" and asked is not None:
        number, block_hash, new_root = asked, hex(0x1000 + asked), hex(0x2000 + asked)
    elif mode == "wrong_block" and asked is not None:
        number = asked + 1
    elif asked is not None and asked != number:
        return None, {"code": 24, "message": "Block not found"}
    if mode == "huge_number":
        number = 2**64 - 1
    common = {
        "timestamp": 1700000000,
        "sequencer_address": "0x5",
        "l1_gas_price": PRICE,
        "l2_gas_price": PRICE,
        "l1_data_gas_price": PRICE,
        "l1_da_mode": "BLOB",
        "starknet_version": "0.13.4",
        "transactions": ["0xaa", "0xbb"],
    }
    if mode == "pending":
        return dict(common, parent_hash="0x1"), None
    if mode == "pre_confirmed":
        return dict(common, status="PRE_CONFIRMED", block_number=state["block_number"] + 1), None
    return dict(common, status="ACCEPTED_ON_L2", block_hash=block_hash,
                parent_hash="0x1", block_number=number, new_root=new_root), None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def block_with_receipts(self, req):
        import time
        with lock:
            calls["getBlockWithReceipts"] += 1
            in_flight[0] += 1
            calls["maxInFlight"] = max(calls["maxInFlight"], in_flight[0])
            delay = state.get("delay_ms", 0)
            mode = state["mode"]
        time.sleep(delay / 1000.0)
        with lock:
            in_flight[0] -= 1
            params = req.get("params")
            bid = params.get("block_id") if isinstance(params, dict) else \
                (params[0] if isinstance(params, list) and params else None)
            number = bid.get("block_number") if isinstance(bid, dict) else None
            block = blocks.get(number)
        if mode == "http500":
            self.send(500, "internal error", "text/plain")
            return
        answer = {"jsonrpc": "2.0", "id": req.get("id")}
        if block is None:
            answer["error"] = {"code": 24, "message": "Block not found"}
        else:
            answer["result"] = block
        self.send(200, json.dumps(answer))

    def do_GET(self):
        if self.path == "/calls":
            with lock:
                self.send(200, json.dumps(calls))
        else:
            self.send(404, "{}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/control":
            with lock:
                ctl = json.loads(body)
                if "blocks" in ctl:
                    blocks.clear()
                    for b in ctl.pop("blocks"):
                        blocks[b["block_number"]] = b
                state.update(ctl)
            self.send(200, "{}")
            return
        try:
            peek = json.loads(body)
        except ValueError:
            peek = None
        if isinstance(peek, dict) and peek.get("method") == "starknet_getBlockWithReceipts":
            self.block_with_receipts(peek)
            return
        with lock:
            mode = state["mode"]
            try:
                req = json.loads(body)
            except ValueError:
                self.send(200, json.dumps({"jsonrpc": "2.0", "id": None,
                                           "error": {"code": -32700, "message": "Parse error"}}))
                return
            method = req.get("method")
            rid = req.get("id")
            result, error = None, None
            if method == "starknet_getBlockWithTxHashes":
                calls["getBlockWithTxHashes"] += 1
                calls["last_params"] = req.get("params")
                if mode == "garbage":
                    self.send(200, "<html>502 Bad Gateway</html>", "text/html")
                    return
                if mode == "http500":
                    self.send(500, "internal error", "text/plain")
                    return
                result, error = block_answer(req.get("params"))
            elif method == "starknet_blockNumber":
                result = 2**64 - 1 if mode == "huge_number" else state["block_number"]
            elif method == "starknet_chainId":
                result = "0x4b4154414e41"
            else:
                error = {"code": -32601, "message": "Method not found"}
        answer = {"jsonrpc": "2.0", "id": rid}
        if error is not None:
            answer["error"] = error
        else:
            answer["result"] = result
        if "id" not in req:
            self.send(200, "")
            return
        self.send(200, json.dumps(answer))


def blackhole():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print("PORT %d" % s.getsockname()[1], flush=True)
    held = []
    try:
        while True:
            c, _ = s.accept()
            held.append(c)  # read nothing, answer nothing
    except KeyboardInterrupt:
        pass
    return 0


def main():
    if "--blackhole" in sys.argv[1:]:
        return blackhole()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

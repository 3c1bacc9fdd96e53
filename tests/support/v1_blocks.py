#!/usr/bin/env python3
"""Starknet blocks (BLOCK_WITH_RECEIPTS, as starknet_getBlockWithReceipts answers) that
reproduce a case of ../shared/vectors/katana-v1.json `rpc_results`, for the serve tests.

usage: v1_blocks.py VECTORS CASE_NAME  ->  prints one JSON object:
  {"blocks": [...], "params": [...], "method": ..., "chain_id", "fee_token",
   "fork": N | null, "result_json": "..."}

Blocks are real-shaped: header fields, and transactions as {"transaction", "receipt"}
with INVOKE receipts carrying events and messages_sent, L1_HANDLER transactions with
calldata [from, payload...] and receipts with message_hash. Only what the vectors fix
is taken from them; blocks the vectors do not describe get made-up hashes.
"""
import json
import sys

PRICE = {"price_in_fri": "0x1", "price_in_wei": "0x2"}


def header(number, block_hash, root, events_commitment=None):
    h = {"status": "ACCEPTED_ON_L2", "block_hash": block_hash, "parent_hash": "0x1",
         "block_number": number, "new_root": root, "timestamp": 1700000000 + number,
         "sequencer_address": "0x5", "l1_gas_price": PRICE, "l2_gas_price": PRICE,
         "l1_data_gas_price": PRICE, "l1_da_mode": "BLOB", "starknet_version": "0.13.4",
         "transactions": []}
    if events_commitment is not None:
        h["events_commitment"] = events_commitment
    return h


def invoke(tx_hash, events=(), messages=()):
    return {"transaction": {"type": "INVOKE", "version": "0x3", "transaction_hash": tx_hash,
                            "sender_address": "0x7", "calldata": [], "signature": [],
                            "nonce": "0x0"},
            "receipt": {"type": "INVOKE", "transaction_hash": tx_hash,
                        "actual_fee": {"amount": "0x1", "unit": "FRI"},
                        "execution_status": "SUCCEEDED", "finality_status": "ACCEPTED_ON_L2",
                        "messages_sent": list(messages), "events": list(events),
                        "execution_resources": {"l1_gas": 1, "l2_gas": 1, "l1_data_gas": 1}}}


def l1_handler(tx_hash, item, message_hash, messages=()):
    return {"transaction": {"type": "L1_HANDLER", "version": "0x0", "transaction_hash": tx_hash,
                            "contract_address": item["to_address"],
                            "entry_point_selector": item["entry_point_selector"],
                            "calldata": [item["from_address"]] + item["payload"],
                            "nonce": item["nonce"]},
            "receipt": {"type": "L1_HANDLER", "transaction_hash": tx_hash,
                        "message_hash": message_hash,
                        "actual_fee": {"amount": "0x0", "unit": "WEI"},
                        "execution_status": "SUCCEEDED", "finality_status": "ACCEPTED_ON_L2",
                        "messages_sent": list(messages), "events": [],
                        "execution_resources": {"l1_gas": 1, "l2_gas": 1, "l1_data_gas": 1}}}


def events_block(v, number):
    for e in v["events"]:
        if e["block_number"] == number:
            return e
    return None


def with_events(block, evs):
    """Group consecutive events by tx_hash into INVOKE transactions (block order kept)."""
    txs = []
    for e in evs:
        ev = {"from_address": e["from_address"], "keys": e["keys"], "data": e["data"]}
        if txs and txs[-1]["receipt"]["transaction_hash"] == e["tx_hash"]:
            txs[-1]["receipt"]["events"].append(ev)
        else:
            txs.append(invoke(e["tx_hash"], [ev]))
    block["transactions"] = txs
    return block


def build(v, case):
    res = case["result"]
    ctx = case["context"]
    out = {"method": case["method"], "params": case["params"], "result_json": case["result_json"],
           "chain_id": ctx.get("chain_id"), "fee_token": ctx.get("fee_token"), "fork": None}
    blocks = []
    if case["method"] == "tee_getEventProof":
        number = case["params"][0]
        e = events_block(v, number)
        blocks.append(with_events(header(number, "0xb10c", "0x2007", e["events_commitment"]),
                                  e["events"]))
        out["blocks"] = blocks
        return out
    prev, cur = case["params"]
    if prev is not None:
        blocks.append(header(prev, res["prevBlockHash"], res["prevStateRoot"]))
    if "forkBlockNumber" in res:
        out["fork"] = int(res["forkBlockNumber"], 16)
        e = events_block(v, cur)
        b = header(cur, res["blockHash"], res["stateRoot"], res["eventsCommitment"])
        blocks.append(with_events(b, e["events"] if e else []))
        out["blocks"] = blocks
        return out
    # appchain: blocks start..cur; the L2->L1 messages in INVOKE receipts of the first
    # block of the range, the L1 handlers (Starknet-settled hashes) in the current one
    start = 0 if prev is None else prev + 1
    hashes = ctx.get("l1_to_l2_msg_hashes", [])
    for n in range(start, cur + 1):
        if n == cur:
            b = header(n, res["blockHash"], res["stateRoot"])
        else:
            b = header(n, hex(0xb000 + n), hex(0x5000 + n))
        if n == start:
            b["transactions"] += [invoke(hex(0x7700 + i), messages=[m])
                                  for i, m in enumerate(res["l2ToL1Messages"])]
        if n == cur:
            b["transactions"] += [l1_handler(hex(0x8800 + i), item, hashes[i])
                                  for i, item in enumerate(res["l1ToL2Messages"])]
        blocks.append(b)
    out["blocks"] = blocks
    return out


def main():
    v = json.load(open(sys.argv[1]))
    for case in v["rpc_results"]:
        if case["name"] == sys.argv[2]:
            print(json.dumps(build(v, case)))
            return 0
    print("no case %r" % sys.argv[2], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

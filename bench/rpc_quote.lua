-- wrk script: POST tee_generateQuote (bench/rpc.sh)
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","method":"tee_generateQuote","id":1}'
wrk.headers["Content-Type"] = "application/json"

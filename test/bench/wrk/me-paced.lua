-- GET /api/me/ at a steady rate: wrk <url> -- <token> <ms between a connection's requests>
-- (-c10 with 10 ms gives at most 1,000 req/s). A latency measured at a fixed rate shows how
-- responsive the server stays; a closed loop at full speed would measure its own queueing.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  pause_ms = tonumber(args[2])
end

function delay()
  return pause_ms
end

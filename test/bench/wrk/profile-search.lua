-- GET /api/users/?query=<3 random hex digits> at a steady rate: wrk <url> -- <ms between a
-- connection's requests>. Seeded usernames end in 6 hex digits, so a query matches ~150 of 100k.
function init(args)
  pause_ms = tonumber(args[1])
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

function request()
  return wrk.format("GET", string.format("/api/users/?query=%03x&limit=20", math.random(0, 4095)))
end

function delay()
  return pause_ms
end

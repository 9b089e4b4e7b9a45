-- POST /api/refresh/ spending each pre-issued refresh token once:
--   wrk <url> -- <tokens file> <wrk thread count>
-- Threads take disjoint slices of the file, so no token is presented twice.
thread_id = 0 -- global: setup() overwrites it in each thread (a local would shadow that)
local tokens = {}
local next_token = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  local threads = tonumber(args[2])
  local index = 0
  for line in io.lines(args[1]) do
    if index % threads == thread_id then tokens[#tokens + 1] = '{"refresh_token":"' .. line .. '"}' end
    index = index + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  next_token = next_token + 1
  -- Past the pool, tokens repeat and answer 401: the runner sizes the pool so this never happens.
  return wrk.format(nil, nil, nil, tokens[(next_token - 1) % #tokens + 1])
end

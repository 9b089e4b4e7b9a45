-- POST /api/register/ with a new email every request: wrk <url> -- <run id>
thread_id = 0 -- global: setup() overwrites it in each thread (a local would shadow that)
local counter = 0
local prefix

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  prefix = args[1] .. "-" .. tostring(thread_id)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil,
    string.format('{"email":"bench-%s-%d@example.com","password":"bench-password-1"}', prefix, counter))
end

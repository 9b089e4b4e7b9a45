-- POST /api/login/ cycling through seeded accounts: wrk <url> -- <accounts file> (email password per line)
local accounts = {}
local next_account = 1

function init(args)
  for line in io.lines(args[1]) do
    local email, password = line:match("^(%S+) (%S+)$")
    accounts[#accounts + 1] = string.format('{"email":"%s","password":"%s"}', email, password)
  end
  next_account = math.random(#accounts)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  next_account = next_account % #accounts + 1
  return wrk.format(nil, nil, nil, accounts[next_account])
end

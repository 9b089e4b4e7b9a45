-- GET /api/me/ with one valid access token: wrk <url> -- <token>
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

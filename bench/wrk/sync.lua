-- GET /v1/sync for many patients, each with their own token. BENCH_SEED
-- names the file written by `bench seed --sync`; BENCH_SYNC=first pulls with
-- last_pulled_at=null (first sync), otherwise from the seeded cursor (one
-- change since).
local requests = {}
local pos = 1
thread_count = 0

function setup(thread)
  thread:set("thread_no", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local first = os.getenv("BENCH_SYNC") == "first"
  for line in io.lines(os.getenv("BENCH_SEED")) do
    local token, _, _, _, _, cursor = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
    if token then
      local since = first and "null" or cursor
      table.insert(requests, wrk.format("GET", "/v1/sync?last_pulled_at=" .. since, {
        ["Authorization"] = "Bearer " .. token,
      }))
    end
  end
  pos = (tonumber(thread_no or 0) * math.floor(#requests / 2)) % #requests + 1
end

function request()
  local r = requests[pos]
  pos = pos % #requests + 1
  return r
end

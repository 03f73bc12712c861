-- PUT /v1/treatments/{id}/logs/{date} from many patients: every request is
-- another patient (their own token), cycling through each patient's dates.
-- BENCH_SEED names the file written by `bench seed`.
local requests = {}
local pos = 1
thread_count = 0

function setup(thread)
  thread:set("thread_no", thread_count)
  thread_count = thread_count + 1
end

local function add_days(ymd, n)
  local y, m, d = ymd:match("^(%d+)-(%d+)-(%d+)$")
  local t = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
  return os.date("%Y-%m-%d", t + n * 86400)
end

function init(args)
  local lines = {}
  for line in io.lines(os.getenv("BENCH_SEED")) do
    local token, _, tid, day0, days = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
    if token then
      table.insert(lines, { token = token, tid = tid, day0 = day0, days = tonumber(days) })
    end
  end
  local max_days = 0
  for _, l in ipairs(lines) do
    if l.days > max_days then max_days = l.days end
  end
  -- Round r: every patient logs their r-th date (scores vary by round).
  for r = 0, max_days - 1 do
    local body = string.format(
      '{"redness":%d,"swelling":%d,"flaking":%d,"sensitivity":%d,"signs":[],"note":null}',
      r % 3, r % 2, math.floor(r / 2) % 3, r % 2)
    for _, l in ipairs(lines) do
      local date = add_days(l.day0, r % l.days)
      table.insert(requests, wrk.format("PUT", "/v1/treatments/" .. l.tid .. "/logs/" .. date, {
        ["Authorization"] = "Bearer " .. l.token,
        ["Content-Type"] = "application/json",
      }, body))
    end
  end
  -- Threads start at different places of the rotation.
  pos = (tonumber(thread_no or 0) * math.floor(#requests / 2)) % #requests + 1
end

function request()
  local r = requests[pos]
  pos = pos % #requests + 1
  return r
end

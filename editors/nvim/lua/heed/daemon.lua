-- The daemon: one `heed serve` per Neovim instance, started lazily, spoken to through
-- Neovim's own LSP client (it already speaks the LSP base protocol that protocol.md uses).
--
-- Why the built-in client works for a non-LSP server, on Debian's 0.7 and on current releases:
-- - `config.capabilities` replaces the client capabilities sent in `initialize` whole, so we
--   offer exactly `general.positionEncodings = {"utf-8", ...}` (checked on 0.7.2's lsp.lua);
-- - `client.request` sends any method name; it only checks capabilities for the LSP methods
--   it knows (`buf_request` does, we never call it), so `heed/...` methods pass through;
-- - unknown server capabilities (`methods`, `analysisMethods`) are kept and ignored;
-- - the client is never attached to a buffer, so it sends no textDocument/* notifications;
-- - `$/progress` goes to our handler (config.handlers), not the LSP progress machinery;
-- - a `-32800` answer to a cancelled request is swallowed by the client, as we want.
-- 0.11 deprecates `vim.lsp.start_client` and the `client.request(...)` call form: there we use
-- `vim.lsp.start(config, { attach = false })` and `client:request(...)`.
local config = require('heed.config')

local M = {}

local has_011 = vim.fn.has('nvim-0.11') == 1
local levels = vim.log.levels

-- Calls a client method in the form this Neovim expects.
local function call(client, name, ...)
  if has_011 then
    return client[name](client, ...)
  end
  return client[name](...)
end

local st = {
  id = nil, -- client id of the running daemon
  client = nil, -- the client, once initialised
  ready = false,
  stopping = false, -- an exit we asked for
  restarts = 0, -- automatic restarts since the last start a person asked for
  dead = false, -- exited twice: no automatic restart until a person uses Heed again
  queue = {}, -- sends waiting for `initialize`
  pending = {}, -- handle -> callback, for requests not answered yet
  models = {}, -- model id -> ModelInfo (loaded)
  loading = {}, -- model id -> callbacks waiting for heed/loadModel
  token = 0,
}

--- Counters the tests read: requests sent, cancellations, daemon starts.
M.stats = { requests = 0, cancels = 0, starts = 0, methods = {} }
--- The daemon's initialize result, its pid and how the last one exited.
M.server = nil
M.pid = nil
M.last_exit = nil
--- The $/progress in flight ({title, message, percentage}) or nil.
M.progress = nil
--- Set by heed.init: called after an automatic restart, and after the daemon died for good.
M.on_restart = nil
M.on_dead = nil

function M.notify(msg, level)
  vim.notify('Heed: ' .. msg, level or levels.ERROR)
end

local code_names = {
  [-32700] = 'parse error',
  [-32600] = 'invalid request',
  [-32601] = 'method not found',
  [-32602] = 'invalid params',
  [-32603] = 'internal error',
  [-32002] = 'server not initialized',
  [-32010] = 'unknown model',
  [-32011] = 'model failed to load',
  [-32012] = 'method not supported',
  [-32013] = 'input too long',
  [-32014] = 'model inconsistent',
}

--- One line for a JSON-RPC error: the daemon's message, its code and what `data` adds.
function M.describe(err)
  if type(err) ~= 'table' then
    return tostring(err)
  end
  local msg = tostring(err.message or 'request failed')
  local data = type(err.data) == 'table' and err.data or {}
  if err.code == -32012 and type(data.supported) == 'table' then
    msg = msg .. ' (supported: ' .. table.concat(data.supported, ', ') .. ')'
  elseif err.code == -32013 and data.limit then
    msg = msg .. (' (limit %s tokens, text has %s)'):format(tostring(data.limit), tostring(data.tokens))
  elseif err.code == -32010 and type(data.catalog) == 'table' then
    msg = msg .. ' (catalog: ' .. table.concat(data.catalog, ', ') .. ')'
  end
  if err.code and code_names[err.code] then
    msg = msg .. (' [%d %s]'):format(err.code, code_names[err.code])
  elseif err.code then
    msg = msg .. (' [%s]'):format(tostring(err.code))
  end
  return msg
end

--- Shows a request's error, unless it was already shown or is the daemon's death (reported once).
function M.report(err)
  if type(err) == 'table' and (err.shown or err.exited) then
    return
  end
  M.notify(M.describe(err), levels.ERROR)
end

local function how(code, signal)
  if signal and signal ~= 0 then
    return 'signal ' .. signal
  end
  return 'exit code ' .. tostring(code)
end

local function on_progress(_, params)
  if type(params) ~= 'table' or type(params.value) ~= 'table' then
    return
  end
  local v = params.value
  if v.kind == 'begin' then
    M.progress = { title = v.title or 'Working', message = v.message, percentage = v.percentage }
    M.notify(M.progress.title .. '…', levels.INFO)
  elseif v.kind == 'report' and M.progress then
    M.progress.message = v.message or M.progress.message
    M.progress.percentage = v.percentage or M.progress.percentage
    local pct = M.progress.percentage and (' %d%%'):format(M.progress.percentage) or ''
    vim.api.nvim_echo({ { ('Heed: %s%s %s'):format(M.progress.title, pct, M.progress.message or '') } }, false, {})
  elseif v.kind == 'end' then
    M.progress = nil
    M.notify(v.message or 'done', levels.INFO)
  end
  pcall(vim.cmd, 'redrawstatus')
end

local function on_init(client, result)
  if client.id ~= st.id then
    return
  end
  local caps = type(result) == 'table' and result.capabilities or {}
  if caps.positionEncoding ~= 'utf-8' then
    M.notify(('the daemon chose %s positions, not utf-8; is %q a heed executable?'):format(
      tostring(caps.positionEncoding), tostring(config.options.cmd[1])))
    M.stop(0)
    return
  end
  st.client, st.ready = client, true
  M.server = result
  M.pid = client.rpc and client.rpc.pid or nil
  local queue = st.queue
  st.queue = {}
  for _, send in ipairs(queue) do
    send()
  end
end

local function on_exit(code, signal, client_id)
  if client_id ~= st.id then
    return
  end
  M.last_exit = { code = code, signal = signal, pid = M.pid }
  local wanted = st.stopping
  st.id, st.client, st.ready, st.stopping = nil, nil, false, false
  st.queue, M.pid, M.progress = {}, nil, nil
  local pending = st.pending
  st.pending = {}
  -- Unanswered requests fail quietly (the death is reported once, below), then the models go.
  for _, cb in pairs(pending) do
    pcall(cb, { exited = true, message = 'the daemon exited' })
  end
  st.models, st.loading = {}, {}
  vim.schedule(function()
    if wanted then
      return
    end
    if st.restarts < 1 then
      st.restarts = st.restarts + 1
      M.notify(('the daemon exited (%s); restarting it'):format(how(code, signal)), levels.WARN)
      if M.on_restart then
        M.on_restart()
      end
    else
      st.dead = true
      M.notify(('the daemon exited again (%s); not restarting it. :HeedAnalyze starts a new one'):format(
        how(code, signal)), levels.ERROR)
      if M.on_dead then
        M.on_dead()
      end
    end
  end)
end

--- Starts the daemon unless it runs. Returns false (after saying why) when it cannot.
function M.start()
  if st.id then
    return true
  end
  if st.dead then -- a person is using Heed again after it died twice
    st.dead, st.restarts = false, 0
  end
  local cmd = config.options.cmd
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' or vim.fn.executable(cmd[1]) ~= 1 then
    M.notify(("cannot run %q: set cmd in require('heed').setup({ cmd = { '/path/to/heed', 'serve' } }), "
      .. 'or HEED_EXECUTABLE, or put heed on PATH'):format(tostring(type(cmd) == 'table' and cmd[1] or cmd)))
    return false
  end
  local cfg = {
    name = 'heed',
    cmd = cmd,
    offset_encoding = 'utf-8',
    capabilities = { general = { positionEncodings = { 'utf-8', 'utf-16', 'utf-32' } } },
    handlers = {
      ['$/progress'] = on_progress,
      ['window/logMessage'] = function() end,
      ['window/showMessage'] = function() end,
    },
    on_init = function(client, result)
      local ok, e = pcall(on_init, client, result)
      if not ok then
        M.notify('could not initialise the daemon: ' .. tostring(e))
      end
    end,
    on_exit = on_exit,
    flags = { exit_timeout = 500 },
  }
  local ok, id
  if has_011 then
    ok, id = pcall(vim.lsp.start, cfg, { attach = false })
  else
    ok, id = pcall(vim.lsp.start_client, cfg)
  end
  if not ok or not id then
    M.notify(('could not start %q%s'):format(cmd[1], ok and '' or (': ' .. tostring(id))))
    return false
  end
  st.id, st.ready, st.stopping = id, false, false
  M.stats.starts = M.stats.starts + 1
  return true
end

function M.running()
  return st.id ~= nil
end

function M.ready()
  return st.ready
end

--- Sends a request (starting the daemon first if needed); cb(err, result) runs exactly once
--- unless the request is cancelled. Returns a handle for M.cancel, or nil when the daemon
--- cannot start (cb then gets an error that was already shown).
function M.request(method, params, cb)
  local h = { method = method }
  local function send()
    if h.cancelled then
      return
    end
    local client = st.client
    local ok, id = call(client, 'request', method, params, function(err, result)
      if st.pending[h] == nil then
        return -- cancelled, or failed when the daemon exited
      end
      st.pending[h] = nil
      h.done = true
      cb(err, result)
    end)
    if not ok then -- it died and on_exit has not run yet: that reports it, and restarts it
      st.pending[h] = nil
      cb({ exited = true, message = 'the daemon is not running' })
      return
    end
    h.id, h.client = id, client
    M.stats.requests = M.stats.requests + 1
    M.stats.methods[method] = (M.stats.methods[method] or 0) + 1
  end
  if not st.ready and not M.start() then
    cb({ shown = true, message = 'the daemon could not start' })
    return nil
  end
  st.pending[h] = cb
  if st.ready then
    send()
  else
    table.insert(st.queue, send)
  end
  return h
end

--- Cancels a request: its callback never runs; the daemon gets $/cancelRequest.
function M.cancel(h)
  if not h or h.cancelled or h.done then
    return
  end
  h.cancelled = true
  st.pending[h] = nil
  if h.id and h.client and h.client == st.client then
    call(h.client, 'cancel_request', h.id)
    M.stats.cancels = M.stats.cancels + 1
  end
end

--- The ModelInfo of a loaded model, loading it first (with progress) when needed.
function M.model(model, cb)
  if st.models[model] then
    return cb(nil, st.models[model])
  end
  if st.loading[model] then
    table.insert(st.loading[model], cb)
    return
  end
  st.loading[model] = { cb }
  st.token = st.token + 1
  M.request('heed/loadModel', { model = model, workDoneToken = 'heed-load-' .. st.token }, function(err, result)
    local waiters = st.loading[model] or {}
    st.loading[model] = nil
    if not err then
      st.models[model] = result
    end
    for _, f in ipairs(waiters) do
      f(err, result)
    end
  end)
end

--- The ModelInfo already known for a model (nil before it loaded).
function M.info(model)
  return st.models[model]
end

--- shutdown + exit, waiting up to `timeout` ms for the process to end, then terminating it.
function M.stop(timeout)
  if not st.id then
    return true
  end
  st.stopping = true
  local id = st.id
  local client = st.client or vim.lsp.get_client_by_id(id)
  if client then
    pcall(call, client, 'stop') -- shutdown, then exit once it is answered
  end
  vim.wait(timeout or 1000, function()
    return st.id ~= id
  end, 10)
  if st.id == id and client then
    pcall(call, client, 'stop', true) -- SIGTERM
    vim.wait(500, function()
      return st.id ~= id
    end, 10)
  end
  return st.id ~= id
end

return M

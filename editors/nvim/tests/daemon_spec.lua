-- The daemon's lifecycle: lazy start, one per Neovim, restart once after a death, never a
-- zombie, shutdown + exit; :checkhealth heed; a command that cannot run.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed
local uv = vim.uv or vim.loop
local daemon = H.daemon
local WARN, ERROR = vim.log.levels.WARN, vim.log.levels.ERROR

local LINES = { 'Zürich: the keys to the cabinet are on the table.' }

-- A process that libuv has reaped has no /proc entry; a zombie would still have one ("Z").
local function gone(pid)
  local f = io.open('/proc/' .. pid .. '/stat')
  if not f then
    return true
  end
  local stat = f:read('*a')
  f:close()
  return false, stat:match('^%d+ %b() (%a)')
end

local function analyze()
  local buf = H.buffer(LINES)
  api.nvim_win_set_cursor(0, { 1, 14 })
  vim.cmd('HeedAnalyze')
  H.settle(buf)
  return buf
end

H.run('daemon', {
  { 'nothing starts before first use; then exactly one daemon', function()
    H.eq(daemon.running(), false, 'no daemon at start-up')
    H.eq(daemon.stats.starts, 0, 'starts')
    analyze()
    local buf = analyze()
    H.eq(daemon.stats.starts, 1, 'one daemon for two analyses')
    H.truthy(daemon.pid, 'its pid')
    H.eq(daemon.server.capabilities.positionEncoding, 'utf-8', 'negotiated encoding')
    H.eq(#H.marks(buf), 11, 'marks')
  end },

  { 'a killed daemon is restarted once, the marks drawn again, and the old one reaped', function()
    local buf = api.nvim_get_current_buf()
    local before = H.marks(buf)
    local old = daemon.pid
    uv.kill(old, 9)
    H.wait(function() return daemon.pid and daemon.pid ~= old end, 'a new daemon')
    H.wait(function()
      local a = heed.analyses[buf]
      return a and a.result and a.drawn == a.seq
    end, 'the marks to be drawn again')
    H.eq(H.marks(buf), before, 'the same marks from the new daemon')
    H.eq(daemon.stats.starts, 2, 'starts')
    H.eq(daemon.last_exit.signal, 9, 'the old one died of SIGKILL')
    H.truthy(vim.tbl_contains(H.notes_at(WARN), 'Heed: the daemon exited (signal 9); restarting it'),
      vim.inspect(H.notes_at(WARN)))
    local ok, state = gone(old)
    H.truthy(ok, ('the old daemon %d is still in the process table (state %s)'):format(old, tostring(state)))
  end },

  { 'a second death is not restarted: it says so and clears the marks', function()
    local buf = api.nvim_get_current_buf()
    local old = daemon.pid
    local errors = #H.notes_at(ERROR)
    uv.kill(old, 9)
    H.wait(function() return #H.notes_at(ERROR) == errors + 1 end, 'the error')
    H.eq(H.notes_at(ERROR)[errors + 1],
      'Heed: the daemon exited again (signal 9); not restarting it. :HeedAnalyze starts a new one', 'message')
    H.sleep(200)
    H.eq(daemon.running(), false, 'no daemon')
    H.eq(daemon.stats.starts, 2, 'no third start')
    H.eq(#api.nvim_buf_get_extmarks(buf, H.ns, 0, -1, {}), 0, 'marks cleared')
    H.truthy(gone(old), 'the second one reaped too')
  end },

  { 'using Heed again starts a new daemon', function()
    local buf = analyze()
    H.eq(daemon.stats.starts, 3, 'starts')
    H.eq(#H.marks(buf), 11, 'marks')
  end },

  { 'stop: shutdown then exit, exit code 0', function()
    local pid = daemon.pid
    H.truthy(daemon.stop(2000), 'stopped in time')
    H.eq({ daemon.last_exit.code, daemon.last_exit.signal }, { 0, 0 }, 'exit code and signal')
    H.wait(function() return gone(pid) end, 'the process to be reaped', 1000)
    H.sleep(100)
    H.eq(daemon.stats.starts, 3, 'a requested exit is not restarted')
  end },

  { ':checkhealth heed', function()
    vim.cmd('checkhealth heed')
    local out = table.concat(api.nvim_buf_get_lines(0, 0, -1, false), '\n')
    vim.cmd('bwipeout!')
    for _, want in ipairs({ 'OK: position encoding utf-8', 'OK: shutdown and exit: exit code 0',
      'OK: minilm: bert, 6 layers' }) do
      H.truthy(out:find(want, 1, true), 'checkhealth lacks "' .. want .. '":\n' .. out)
    end
    H.eq(out:find('ERROR'), nil, 'no error in checkhealth:\n' .. out)
  end },

  { 'a command that cannot run: an error that says what to set', function()
    heed.setup({ cmd = { '/nonexistent/heed', 'serve' }, keys = false })
    local errors = #H.notes_at(ERROR)
    H.buffer(LINES)
    vim.cmd('HeedAnalyze')
    H.eq(#H.notes_at(ERROR), errors + 1, 'one error')
    H.truthy(H.notes_at(ERROR)[errors + 1]:find('cannot run "/nonexistent/heed"', 1, true),
      H.notes_at(ERROR)[errors + 1])
    H.no_traceback()
    heed.setup({ cmd = { H.exe, 'serve' }, keys = false })
  end },

  { 'setup maps the default keys', function()
    heed.setup({ cmd = { H.exe, 'serve' } })
    H.eq(vim.fn.maparg('<leader>hm', 'n'), '<Cmd>HeedMethod<CR>', '<leader>hm')
    -- a selection made forwards: the focus is where the cursor ended, on "cabinet"
    local buf = H.buffer(LINES)
    api.nvim_feedkeys('gg0ftvfce\\ha', 'x', false)
    local a = H.settle(buf)
    H.eq(a.text, 'the keys to the cabinet', 'the selection')
    local _, focus = H.marks(buf)
    H.eq(focus, { { 0, 25, 0, 32 } }, 'the focus is the cursor end of the selection')
    H.eq(#H.marks(buf), 4, 'marks') -- left running: VimLeavePre must end it (test.sh checks the pid)
  end },
})

-- A small test harness for `nvim --headless`: plain asserts, each test in a coroutine so that
-- waiting returns to Neovim's main loop (timers, autocommands such as CursorMoved, the
-- daemon's answers all run in between).
local H = {}

--- Order of shaded units {start row, start col, end row, end col, bucket}: by position, then
--- (overlapping units of a byte-level tokenizer) by end and bucket.
function H.unit_before(x, y)
  for i = 1, 5 do
    if x[i] ~= y[i] then
      return x[i] < y[i]
    end
  end
  return false
end

H.root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
H.exe = vim.env.HEED_EXECUTABLE
vim.opt.rtp:prepend(H.root)
vim.cmd('runtime plugin/heed.lua')

H.heed = require('heed')
H.daemon = require('heed.daemon')
H.ns = H.heed.ns

-- vim.notify is recorded (and still printed when HEED_TEST_VERBOSE is set).
H.notes = {}
vim.notify = function(msg, level)
  table.insert(H.notes, { msg = msg, level = level })
  if vim.env.HEED_TEST_VERBOSE then
    io.stderr:write(('  notify[%s] %s\n'):format(tostring(level), msg))
  end
end

-- Echoed messages (":HeedMethod" says the new method) are recorded, not printed.
H.echoes = {}
vim.api.nvim_echo = function(chunks)
  local parts = {}
  for _, c in ipairs(chunks) do
    table.insert(parts, c[1])
  end
  table.insert(H.echoes, table.concat(parts))
end

function H.out(s)
  io.stdout:write(s .. '\n')
end

function H.fail(msg, level)
  error(msg, (level or 1) + 1)
end

function H.eq(got, want, what)
  if not vim.deep_equal(got, want) then
    H.fail(('%s:\n  want %s\n  got  %s'):format(what or 'values differ', vim.inspect(want), vim.inspect(got)), 2)
  end
end

function H.neq(got, other, what)
  if vim.deep_equal(got, other) then
    H.fail(('%s: did not change from %s'):format(what or 'value', vim.inspect(other)), 2)
  end
end

function H.truthy(v, what)
  if not v then
    H.fail(what or 'expected a true value', 2)
  end
end

function H.sleep(ms)
  local co = coroutine.running()
  vim.defer_fn(function()
    local ok, e = coroutine.resume(co)
    if not ok then
      H.out('FAIL (resume) ' .. tostring(e))
    end
  end, ms)
  coroutine.yield()
end

function H.wait(cond, what, ms)
  local t = 0
  ms = ms or 10000
  while not cond() do
    if t >= ms then
      H.fail('timed out waiting for ' .. (what or 'a condition'), 2)
    end
    H.sleep(10)
    t = t + 10
  end
end

--- Waits until the buffer's analysis has drawn its latest request.
function H.settle(buf, what)
  buf = buf or vim.api.nvim_get_current_buf()
  H.wait(function()
    local a = H.heed.analyses[buf]
    return a and a.seq > 0 and a.drawn == a.seq and a.req == nil
  end, what or 'the highlight')
  return H.heed.analyses[buf]
end

--- Extmarks in the namespace `heed`: units as {row, col, end_row, end_col, bucket} in order;
--- the focus, the dimmed parts and (translation pairs) the aligned unit as {row, col, end_row,
--- end_col}.
function H.marks(buf)
  local units, focus, outside, aligned = {}, {}, {}, {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf or 0, H.ns, 0, -1, { details = true })) do
    local d = m[4]
    local k = d.hl_group:match('^Heed(%d)$')
    if k then
      table.insert(units, { m[2], m[3], d.end_row, d.end_col, tonumber(k) })
    elseif d.hl_group == 'HeedFocus' then
      table.insert(focus, { m[2], m[3], d.end_row, d.end_col })
    elseif d.hl_group == 'HeedOutside' then
      table.insert(outside, { m[2], m[3], d.end_row, d.end_col })
    elseif d.hl_group == 'HeedAligned' then
      table.insert(aligned, { m[2], m[3], d.end_row, d.end_col })
    else
      H.fail('unexpected extmark group ' .. tostring(d.hl_group))
    end
  end
  local function order(x, y)
    return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2])
  end
  -- units: by position, then (overlapping units of a byte-level tokenizer) end and bucket
  table.sort(units, H.unit_before)
  table.sort(outside, order)
  return units, focus, outside, aligned
end

--- `heed analyze --json` on TEXT with an empty focus at utf-32 offset `cursor`: the daemon's
--- own heed/highlight answer, with offsets in Unicode scalars (independent of the plugin).
--- opts: a model id, or {model = 'minilm', granularity = 'token'}.
function H.cli(text, cursor, method, layer, direction, topk, opts)
  if type(opts) ~= 'table' then
    opts = { model = opts }
  end
  local args = { H.exe, 'analyze', '--json', '--model', opts.model or 'minilm', '--focus-range',
    cursor .. ':' .. cursor, '--method', method, '--direction', direction,
    '--granularity', opts.granularity or 'token' }
  -- A rollout spans all layers: the CLI refuses --layer with it.
  if not H.heed.rollouts[method] then
    vim.list_extend(args, { '--layer', tostring(layer) })
  end
  if topk then
    vim.list_extend(args, { '--topk', tostring(topk) })
  end
  table.insert(args, '--')
  table.insert(args, text)
  -- stdout only: heed's notes on stderr (tokens that became [UNK], ...) are not part of the JSON.
  local errfile = vim.fn.tempname()
  local command = table.concat(vim.tbl_map(vim.fn.shellescape, args), ' ') .. ' 2>' .. vim.fn.shellescape(errfile)
  local out = vim.fn.system(command)
  local err = table.concat(vim.fn.readfile(errfile), '\n')
  os.remove(errfile)
  if vim.v.shell_error ~= 0 then
    H.fail('heed analyze failed: ' .. out .. err, 2)
  end
  return vim.json.decode(out)
end

--- Converts a utf-32 offset of `lines` joined with "\n" (the text starting at row0, col0 of a
--- buffer) to a buffer position with a byte column. Independent of the plugin: Vim's own
--- strchars() and byteidxcomp() count Unicode scalars (combining marks separately).
function H.pos32(lines, off, row0, col0)
  row0, col0 = row0 or 0, col0 or 0
  for i, line in ipairs(lines) do
    local n = vim.fn.strchars(line)
    if off <= n then
      local col = vim.fn.byteidxcomp(line, off)
      return row0 + i - 1, (i == 1 and col0 or 0) + col
    end
    off = off - n - 1
  end
  error('offset beyond the text')
end

--- The marks a CLI answer implies: units {row, col, end_row, end_col, bucket} (every range but
--- those of value 0, which get no shade) in text order, and the focus.
function H.expect(lines, result, row0, col0)
  local units = {}
  for _, r in ipairs(result.ranges) do
    if r.value ~= 0 then
      local sr, sc = H.pos32(lines, r.start, row0, col0)
      local er, ec = H.pos32(lines, r['end'], row0, col0)
      table.insert(units, { sr, sc, er, ec, math.min(7, math.floor(r.score * 8)) })
    end
  end
  -- H.marks sorts by position; overlapping units (a decoder's byte-level tokens) by bucket too.
  table.sort(units, H.unit_before)
  local fr, fc = H.pos32(lines, result.focus.start, row0, col0)
  local gr, gc = H.pos32(lines, result.focus['end'], row0, col0)
  return units, { { fr, fc, gr, gc } }
end

--- utf-32 offset of a byte column in `lines` (row 0-based): for the cursor.
function H.off32(lines, row, col)
  local off = 0
  for i = 1, row do
    off = off + vim.fn.strchars(lines[i]) + 1
  end
  return off + vim.fn.strchars(lines[row + 1]:sub(1, col))
end

function H.notes_at(level)
  local out = {}
  for _, n in ipairs(H.notes) do
    if n.level == level then
      table.insert(out, n.msg)
    end
  end
  return out
end

function H.no_traceback()
  for _, n in ipairs(H.notes) do
    if n.msg:find('stack traceback') or n.msg:find('%.lua:%d+:') then
      H.fail('a notification shows Lua internals: ' .. n.msg, 2)
    end
  end
end

--- Runs the tests in order, then quits Neovim with 0 when all passed, 1 otherwise.
function H.run(name, tests)
  local failures = 0
  local started = (vim.uv or vim.loop).hrtime()
  vim.defer_fn(function()
    H.out(('FAIL %s: the spec did not finish in 90 s'):format(name))
    vim.cmd('cquit 2')
  end, 90000)
  local co = coroutine.create(function()
    for _, t in ipairs(tests) do
      local t0 = (vim.uv or vim.loop).hrtime()
      local ok, e = xpcall(t[2], debug.traceback)
      local ms = ((vim.uv or vim.loop).hrtime() - t0) / 1e6
      if ok then
        H.out(('ok   %s: %s (%d ms)'):format(name, t[1], ms))
      else
        failures = failures + 1
        H.out(('FAIL %s: %s\n%s'):format(name, t[1], e))
      end
    end
    H.out(('%s: %d test(s), %d failure(s), %d ms'):format(name, #tests, failures,
      ((vim.uv or vim.loop).hrtime() - started) / 1e6))
    vim.schedule(function()
      if vim.env.HEED_TEST_PIDFILE and H.daemon.pid then
        local f = io.open(vim.env.HEED_TEST_PIDFILE, 'w')
        f:write(tostring(H.daemon.pid))
        f:close()
      end
      if failures > 0 then
        vim.cmd('cquit 1')
      else
        vim.cmd('qall!')
      end
    end)
  end)
  vim.schedule(function()
    local ok, e = coroutine.resume(co)
    if not ok then
      H.out('FAIL ' .. name .. ': ' .. tostring(e))
      vim.cmd('cquit 1')
    end
  end)
end

--- A fresh buffer holding `lines`, shown in the current window.
function H.buffer(lines)
  vim.cmd('enew!')
  vim.bo.bufhidden = 'wipe'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
  return vim.api.nvim_get_current_buf()
end

return H

-- :HeedAnalyze on non-ASCII text; the commands that change the marks; edits; the info window;
-- errors; a text beyond the model's limit.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

local L1 = 'Zürich: the keys to the cabinet are on the table.'
local L2 = 'The café owner 🙂 said 東京 was far.'
local PARA = { L1, L2 }
local LINES = { L1, L2, '', 'Another paragraph stays out of it.' }
local buf

-- The cursor on 'keys' (bytes 13..17 of row 0: 'Zürich' is 7 bytes).
local function analyze_keys()
  buf = H.buffer(LINES)
  api.nvim_win_set_cursor(0, { 1, 14 })
  vim.cmd('HeedAnalyze')
  return H.settle(buf)
end

local function expected(method, layer, direction, cursor_row, cursor_col)
  local cursor = H.off32(PARA, cursor_row or 0, cursor_col or 14)
  return H.expect(PARA, H.cli(table.concat(PARA, '\n'), cursor, method, layer, direction))
end

local function check(method, layer, direction, what)
  local units, focus = H.marks(buf)
  local want_units, want_focus = expected(method, layer, direction)
  H.eq(units, want_units, what .. ': unit marks (byte columns and buckets)')
  H.eq(focus, want_focus, what .. ': focus mark')
  return units
end

H.run('marks', {
  { 'extmarks cover exactly the byte columns of each token', function()
    analyze_keys()
    local units, focus = H.marks(buf)
    -- Hand-computed byte columns: Zürich 0-7 (ü is 2 bytes), café 4-9, 🙂 16-20, 東 26-29, 京 29-32.
    local cols = {}
    for _, u in ipairs(units) do
      table.insert(cols, { u[1], u[2], u[4] })
    end
    H.eq(cols, {
      { 0, 0, 7 }, { 0, 7, 8 }, { 0, 9, 12 }, { 0, 18, 20 }, { 0, 21, 24 }, { 0, 25, 32 }, { 0, 33, 36 },
      { 0, 37, 39 }, { 0, 40, 43 }, { 0, 44, 49 }, { 0, 49, 50 },
      { 1, 0, 3 }, { 1, 4, 9 }, { 1, 10, 15 }, { 1, 16, 20 }, { 1, 21, 25 }, { 1, 26, 29 }, { 1, 29, 32 },
      { 1, 33, 36 }, { 1, 37, 40 }, { 1, 40, 41 },
    }, 'unit columns')
    H.eq(focus, { { 0, 13, 0, 17 } }, 'the focus is "keys"')
    for _, u in ipairs(units) do
      H.eq(u[1], u[3], 'a token never spans lines')
    end
    -- and the buckets are the daemon's own answer (CLI, utf-32 offsets converted independently)
    check('norm-summed', 'last', 'from', 'norm-summed, last layer')
    H.eq(heed.statusline(), 'Heed minilm norm-summed L5 from', 'statusline')
  end },

  { 'the first load shows progress', function()
    local info = H.notes_at(vim.log.levels.INFO)
    H.truthy(vim.tbl_contains(info, 'Heed: Loading minilm…'), 'progress begin: ' .. vim.inspect(info))
    H.truthy(vim.tbl_contains(info, 'Heed: minilm loaded'), 'progress end: ' .. vim.inspect(info))
  end },

  { ':HeedMethod cycles in the order the model lists', function()
    local before = H.marks(buf)
    local methods = H.daemon.info('minilm').methods
    H.eq(methods, { 'norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout',
      'alti', 'alti-rollout', 'globenc', 'value-zeroing' }, "minilm's methods")
    vim.cmd('HeedMethod')
    H.wait(function() return heed.state.method == 'attention' end, 'the method to change')
    H.settle(buf)
    local after = check('attention', 'last', 'from', 'attention')
    H.neq(after, before, 'the marks after :HeedMethod')
    vim.cmd('HeedMethod rollout')
    H.wait(function() return heed.state.method == 'rollout' end, 'rollout')
    H.settle(buf)
    check('rollout', 'last', 'from', 'rollout')
    H.eq(heed.statusline(), 'Heed minilm rollout all layers from', 'statusline with a rollout')
    vim.cmd('HeedMethod')
    H.wait(function() return heed.state.method == 'norm-rollout' end, 'norm-rollout')
    vim.cmd('HeedMethod value-zeroing') -- the last (methods_spec.lua walks through the follow-ups)
    H.wait(function() return heed.state.method == 'value-zeroing' end, 'value-zeroing')
    vim.cmd('HeedMethod')
    H.wait(function() return heed.state.method == 'norm-summed' end, 'the cycle to wrap to norm-summed')
    vim.cmd('HeedMethod attention')
    H.wait(function() return heed.state.method == 'attention' end, 'attention')
    H.settle(buf)
  end },

  { ':HeedLayer n, next, prev change the marks', function()
    local before = H.marks(buf)
    vim.cmd('HeedLayer 2')
    H.wait(function() return heed.state.layer == 2 end, 'layer 2')
    H.settle(buf)
    H.neq(check('attention', 2, 'from', 'layer 2'), before, 'the marks after :HeedLayer 2')
    H.eq(heed.analyses[buf].result.layer, 2, 'the layer the daemon used')
    vim.cmd('HeedLayer next')
    H.wait(function() return heed.state.layer == 3 end, 'layer 3')
    H.settle(buf)
    check('attention', 3, 'from', 'layer 3')
    vim.cmd('HeedLayer prev')
    H.wait(function() return heed.state.layer == 2 end, 'back to layer 2')
    H.settle(buf)
    check('attention', 2, 'from', 'layer 2 again')
    H.eq(heed.statusline(), 'Heed minilm attention L2 from', 'statusline')
    local errors = #H.notes_at(vim.log.levels.ERROR)
    vim.cmd('HeedLayer 6')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == errors + 1 end, 'an error for layer 6')
    H.eq(heed.state.layer, 2, 'a bad layer changes nothing')
  end },

  { ':HeedDirection to, received change the marks', function()
    local before = H.marks(buf)
    vim.cmd('HeedDirection to')
    H.settle(buf)
    H.neq(check('attention', 2, 'to', 'direction to'), before, 'the marks after :HeedDirection to')
    vim.cmd('HeedDirection')
    H.eq(heed.state.direction, 'received', 'the cycle after to')
    H.settle(buf)
    check('attention', 2, 'received', 'direction received')
    vim.cmd('HeedDirection from')
    H.settle(buf)
    H.eq(heed.statusline(), 'Heed minilm attention L2 from', 'statusline')
  end },

  { 'cursor moves are debounced, a newer request cancels the older', function()
    local stats = H.daemon.stats
    local sent = stats.methods['heed/highlight']
    -- five moves within the debounce time: one request, for the last position ('cabinet')
    for _, col in ipairs({ 18, 21, 22, 33, 26 }) do
      api.nvim_win_set_cursor(0, { 1, col })
      H.sleep(5)
    end
    H.wait(function() return stats.methods['heed/highlight'] > sent end, 'the debounced request', 2000)
    H.settle(buf)
    H.sleep(120)
    H.eq(stats.methods['heed/highlight'], sent + 1, 'requests after five quick moves')
    local _, focus = H.marks(buf)
    H.eq(focus, { { 0, 25, 0, 32 } }, 'the focus is "cabinet"')
    local units = H.marks(buf)
    H.eq({ units }, { (expected('attention', 2, 'from', 0, 26)) }, 'marks for "cabinet"')
    -- two requests in a row: the first is cancelled ($/cancelRequest), the second is drawn
    local a = heed.analyses[buf]
    local cancels = stats.cancels
    heed.refresh(a, { offset = 0, force = true })
    heed.refresh(a, { offset = #'Zürich: the keys to the ', force = true })
    H.eq(stats.cancels, cancels + 1, 'cancellations')
    H.settle(buf)
    local _, f2 = H.marks(buf)
    H.eq(f2, { { 0, 25, 0, 32 } }, 'the newer request wins')
  end },

  { 'the info window: the focus, top 5 by this method and by the other', function()
    api.nvim_win_set_cursor(0, { 1, 14 })
    H.sleep(100)
    H.settle(buf)
    local lines
    heed.info(function(l) lines = l end)
    H.wait(function() return lines ~= nil end, 'the info window')
    H.truthy(heed.info_window and api.nvim_win_is_valid(heed.info_window), 'a floating window')
    H.eq(api.nvim_win_get_config(heed.info_window).relative ~= '', true, 'it floats')
    H.eq(lines[1], 'Heed minilm | attention | layer 2 | from', 'title')
    H.eq(lines[2], 'focus  keys', 'focus')
    local text = table.concat(PARA, '\n')
    local cursor = H.off32(PARA, 0, 14)
    local function top5(method)
      local r = H.cli(text, cursor, method, 2, 'from').ranges
      table.sort(r, function(x, y) return x.value > y.value end)
      local out = {}
      for i = 1, 5 do
        out[i] = vim.fn.strcharpart(text, r[i].start, r[i]['end'] - r[i].start)
      end
      return out
    end
    local this, other = top5('attention'), top5('norm-summed')
    H.eq(lines[4]:match('^top 5 by attention%s+top 5 by norm%-summed$') ~= nil, true, 'headers: ' .. lines[4])
    H.eq(lines[5], 'token          value score  token          value score', 'columns')
    for i = 1, 5 do
      local left = lines[5 + i]:match('^(%S+)')
      local right = vim.fn.matchstr(lines[5 + i], [[\%29v\S\+]])
      H.eq({ left, right }, { this[i], other[i] }, 'row ' .. i .. ': ' .. lines[5 + i])
    end
    api.nvim_win_set_cursor(0, { 1, 0 })
    H.wait(function() return not api.nvim_win_is_valid(heed.info_window) end, 'the window to close on a move', 1000)
    -- with the focus fixed, the token under the cursor: its raw value and score
    vim.cmd('HeedFollow off')
    api.nvim_win_set_cursor(0, { 1, 27 }) -- 'cabinet'
    H.sleep(100)
    H.eq(heed.analyses[buf].result.focus, { start = 13, ['end'] = 17 }, 'the focus stays on keys')
    lines = nil
    heed.info(function(l) lines = l end)
    H.wait(function() return lines ~= nil end, 'the info window')
    local cab
    for _, r in ipairs(H.cli(text, cursor, 'attention', 2, 'from').ranges) do
      if r.start == 24 then
        cab = r
      end
    end
    H.eq(lines[3], ('token  cabinet  value %.4f  score %.2f'):format(cab.value, cab.score), 'the token line')
    api.nvim_win_close(heed.info_window, true)
    vim.cmd('HeedFollow on')
    api.nvim_win_set_cursor(0, { 1, 14 })
  end },

  { 'an edit outside the span keeps the marks; an edit inside clears them', function()
    H.sleep(60)
    H.settle(buf)
    local units = H.marks(buf)
    api.nvim_buf_set_lines(buf, 3, 4, false, { 'Another paragraph, edited.' })
    H.sleep(30)
    H.eq(H.marks(buf), units, 'marks after an edit below the span')
    api.nvim_buf_set_lines(buf, 0, 0, false, { 'A new first line.', '' })
    H.sleep(30)
    local shifted = vim.deepcopy(units)
    for _, u in ipairs(shifted) do
      u[1], u[3] = u[1] + 2, u[3] + 2
    end
    H.eq(H.marks(buf), shifted, 'marks after two lines were added above: moved down')
    api.nvim_win_set_cursor(0, { 3, 26 }) -- 'cabinet', two rows down now
    H.sleep(100)
    H.settle(buf)
    local _, focus = H.marks(buf)
    H.eq(focus, { { 2, 25, 2, 32 } }, 'the focus after the span moved')
    api.nvim_buf_set_text(buf, 2, 13, 2, 17, { 'locks' })
    H.wait(function() return #api.nvim_buf_get_extmarks(buf, H.ns, 0, -1, {}) == 0 end, 'the marks to clear', 1000)
    H.eq(heed.analyses[buf], nil, 'the analysis ends with the edit')
  end },

  { 'errors are shown with vim.notify at ERROR, never a stack trace', function()
    local n = #H.notes_at(vim.log.levels.ERROR)
    vim.cmd('HeedModel no-such-model')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == n + 1 end, 'the unknown-model error')
    local msg = H.notes_at(vim.log.levels.ERROR)[n + 1]
    H.truthy(msg:find('^Heed: ') and msg:find('%-32010 unknown model'), msg)
    H.eq(heed.state.model, 'minilm', 'the model stays')
    -- a selection of spaces has no unit: -32602 from the daemon
    buf = H.buffer({ 'one     two' })
    vim.cmd('normal! 04lv2l\27')
    vim.cmd("'<,'>HeedAnalyze")
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == n + 2 end, 'the no-unit error')
    msg = H.notes_at(vim.log.levels.ERROR)[n + 2]
    H.truthy(msg:find('%-32602 invalid params'), msg)
    H.eq(heed.analyses[buf], nil, 'no analysis after an error')
    vim.cmd('HeedLayer nine')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == n + 3 end, 'the bad-layer error')
    -- the cursor on a blank line: nothing to analyse
    buf = H.buffer({ '' })
    vim.cmd('HeedAnalyze')
    H.eq(#H.notes_at(vim.log.levels.ERROR), n + 4, 'an error for a blank line')
    H.no_traceback()
  end },

  { 'a text beyond the limit: the window is shaded, the rest dimmed, and it says so', function()
    vim.cmd('HeedMethod norm-summed')
    vim.cmd('HeedLayer last')
    H.wait(function() return heed.state.method == 'norm-summed' and heed.state.layer == 'last' end, 'settings')
    local lines = {}
    for i = 1, 60 do
      lines[i] = ('Line %d says the cat sat on the mat near the door.'):format(i)
    end
    buf = H.buffer(lines)
    api.nvim_win_set_cursor(0, { 30, 18 }) -- 'cat' of line 30 (bytes 17-20)
    local warns = #H.notes_at(vim.log.levels.WARN)
    vim.cmd('HeedAnalyze')
    local a = H.settle(buf)
    H.truthy(a.result.window, 'a window in the answer')
    local units, focus, outside = H.marks(buf)
    H.eq(focus, { { 29, 17, 29, 20 } }, 'the focus')
    H.eq(#outside, 2, 'dimmed before and after the window')
    local ws = { H.pos32(lines, 0) }
    local want = H.cli(table.concat(lines, '\n'), H.off32(lines, 29, 18), 'norm-summed', 'last', 'from')
    H.eq(a.result.window, want.window, 'the window (all ASCII: bytes = scalars)')
    local wr, wc = H.pos32(lines, want.window.start)
    local er, ec = H.pos32(lines, want.window['end'])
    H.eq(outside, { { ws[1], ws[2], wr, wc }, { er, ec, 59, #lines[60] } }, 'the dimmed parts')
    H.eq(units, (H.expect(lines, want)), 'the units of the window')
    local w = H.notes_at(vim.log.levels.WARN)
    H.eq(#w, warns + 1, 'one warning')
    H.truthy(w[#w]:find("longer than minilm's 512 tokens"), w[#w])
    H.eq(heed.statusline(), 'Heed minilm norm-summed L5 from window', 'statusline')
  end },
})

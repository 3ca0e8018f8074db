-- A decoder, unchanged: SmolLM2 (catalog `smollm2`, a causal, pre-norm Llama-family model with a
-- byte-level BPE tokenizer). The plugin reads its ModelInfo (methods without attn-res-ln,
-- causal), shades by weight and by norm, cycles only the methods the model lists, and shades
-- causally: a `from` focus sees only itself and what comes before it. The follow-ups ALTI,
-- ALTI rollout and value zeroing are in its cycle; GlobEnc (post-LN encoders only) is not.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

-- Row 0 is ASCII: byte columns = utf-32 offsets. Byte-level BPE tokens carry the space before
-- a word: 'The' 0-3, ' keys' 3-8, ' to' 8-11, ' the' 11-15, ' cabinet' 15-23, ' are' 23-27, ...
-- Row 1: 'Zürich' (ü 2 bytes), and 東京, whose UTF-8 bytes are split over five tokens that
-- overlap: ' 東' (the space and 東), two holding bytes of 東 alone, two of 京.
local L1 = 'The keys to the cabinet are on the table.'
local L2 = 'Zürich said 東京 was far.'
local PARA = { L1, L2 }
local TEXT = table.concat(PARA, '\n')
local MODEL = 'smollm2'
-- A cursor at the start of a token (the space of " France", 14-21): the focus is the token
-- before it, " of" (11-14); an encoder would take " France" (protocol.md section 5.6).
local CAPITAL = 'The capital of France is'
local CABINET = { 0, 15, 0, 23 }
local buf

local function at(row, col)
  api.nvim_win_set_cursor(0, { row + 1, col })
end

-- The daemon's own answer (`heed analyze --json --model smollm2`), with the cursor at a byte
-- column of PARA.
local function answer(method, direction, row, col, granularity)
  return H.cli(TEXT, H.off32(PARA, row, col), method, 'last', direction, nil,
    { model = MODEL, granularity = granularity })
end

local function check(method, direction, row, col, what, granularity)
  local want = answer(method, direction, row, col, granularity)
  local units, focus = H.marks(buf)
  local want_units, want_focus = H.expect(PARA, want)
  H.eq(units, want_units, what .. ': unit marks (byte columns and buckets)')
  H.eq(focus, want_focus, what .. ': focus mark')
  return units, want
end

-- No unit mark ends after the focus starts (row 0 here): what a `from` focus sees.
local function before(units, focus, what)
  for _, u in ipairs(units) do
    H.truthy(u[3] < focus[1] or (u[3] == focus[1] and u[4] <= focus[2]),
      ('%s: a mark after the focus: %s'):format(what, vim.inspect(u)))
  end
end

local function set_method(name)
  vim.cmd('HeedMethod ' .. name)
  H.wait(function() return heed.state.method == name end, 'method ' .. name)
  H.settle(buf)
end

H.run('decoder', {
  { 'smollm2 by norm: the tokens before "cabinet" shaded as the daemon says, none after', function()
    heed.setup({ model = MODEL, method = 'norm-summed', keys = false })
    buf = H.buffer(PARA)
    at(0, 17) -- on the 'a' of 'cabinet'
    vim.cmd('HeedAnalyze')
    local a = H.settle(buf)
    local info = H.daemon.info(MODEL)
    H.eq(info.methods, { 'norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout',
      'value-zeroing' },
      "smollm2's methods (ModelInfo): pre-norm, no attn-res-ln")
    H.eq(info.causal, true, 'ModelInfo causal')
    local units, want = check('norm-summed', 'from', 0, 17, 'norm-summed')
    local _, focus = H.marks(buf)
    H.eq(focus, { CABINET }, 'the focus is " cabinet" with its leading space (byte-level BPE)')
    -- exactly the four tokens before it, at hand-computed columns; 'The' (the first token, the
    -- attention sink) carries the most: score 1, bucket 7
    local cols = {}
    for _, u in ipairs(units) do
      table.insert(cols, { u[1], u[2], u[4] })
    end
    H.eq(cols, { { 0, 0, 3 }, { 0, 3, 8 }, { 0, 8, 11 }, { 0, 11, 15 } }, 'the shaded columns')
    H.eq(units[1][5], 7, '"The" is in the top bucket')
    -- the daemon answers every token after the focus with value 0, and none of them is drawn
    local after = 0
    for _, r in ipairs(want.ranges) do
      if r.start >= 23 then
        after = after + 1
        H.eq(r.value, 0, 'the daemon: no mass beyond the diagonal')
      end
    end
    H.eq(after, 18, 'tokens after the focus in the answer (5 overlap over 東京)')
    H.eq(#api.nvim_buf_get_extmarks(buf, H.ns, { 0, 23 }, -1, {}), 0, 'no extmark after the focus')
    H.eq(a.result.layer, 29, 'the last of 30 layers')
    H.eq(heed.statusline(), 'Heed smollm2 norm-summed L29 from', 'statusline')
  end },

  { ':HeedMethod toggles to attention weights: other buckets, still causal', function()
    local by_norm = H.marks(buf)
    vim.cmd('HeedMethod')
    H.wait(function() return heed.state.method == 'attention' end, 'the method to change')
    H.settle(buf)
    local units = check('attention', 'from', 0, 17, 'attention')
    H.neq(units, by_norm, 'the marks after :HeedMethod')
    before(units, CABINET, 'attention')
    H.eq(#units, 4, 'four tokens before the focus')
    H.eq(units[1][5], 7, '"The" is in the top bucket by weight too')
    H.eq(heed.statusline(), 'Heed smollm2 attention L29 from', 'statusline')
  end },

  { ':HeedMethod cycles only the methods smollm2 lists, each shaded causally', function()
    local seen = { heed.state.method }
    for _ = 1, 9 do
      vim.cmd('HeedMethod')
      H.wait(function() return heed.state.method ~= seen[#seen] end, 'the next method')
      H.settle(buf)
      local m = heed.state.method
      table.insert(seen, m)
      local units = check(m, 'from', 0, 17, m)
      before(units, CABINET, m)
      H.truthy(#units > 0, m .. ': something before the focus is shaded')
    end
    H.eq(seen, { 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout', 'value-zeroing',
      'norm-summed', 'attention' }, 'the cycle (never attn-res-ln nor globenc)')
    local errors = #H.notes_at(vim.log.levels.ERROR)
    vim.cmd('HeedMethod attn-res-ln')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == errors + 1 end, 'the refusal')
    local msg = H.notes_at(vim.log.levels.ERROR)[errors + 1]
    H.truthy(msg:find('smollm2 does not support the method "attn%-res%-ln"', 1, false), msg)
    H.eq(heed.state.method, 'attention', 'a method the model lacks changes nothing')
    vim.cmd('HeedMethod globenc') -- post-LN encoders only
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == errors + 2 end, 'the refusal of globenc')
    msg = H.notes_at(vim.log.levels.ERROR)[errors + 2]
    H.truthy(msg:find('smollm2 does not support the method "globenc"', 1, true), msg)
    H.eq(heed.state.method, 'attention', 'globenc changes nothing')
  end },

  { 'direction to: only the tokens after the focus attend to it', function()
    set_method('norm-summed')
    vim.cmd('HeedDirection to')
    H.settle(buf)
    local units = check('norm-summed', 'to', 0, 17, 'to')
    H.truthy(#units > 0, 'later tokens attend to " cabinet"')
    for _, u in ipairs(units) do
      H.truthy(u[1] > 0 or u[2] >= 23, 'a mark before the focus: ' .. vim.inspect(u))
    end
    vim.cmd('HeedDirection from')
    H.settle(buf)
  end },

  { 'the first token attends only to itself: nothing is shaded', function()
    at(0, 1)
    H.sleep(100)
    H.settle(buf)
    local units, focus = H.marks(buf)
    H.eq(focus, { { 0, 0, 0, 3 } }, 'the focus is "The"')
    H.eq(units, {}, 'no unit mark')
    check('norm-summed', 'from', 0, 1, 'the first token')
  end },

  { 'overlapping byte-level tokens of 東京: the strongest shows', function()
    at(1, 25) -- the 'a' of 'far' (bytes 24-27 of row 1)
    H.sleep(100)
    H.settle(buf)
    local units = check('norm-summed', 'from', 1, 25, '"far"')
    local _, focus = H.marks(buf)
    H.eq(focus, { { 1, 23, 1, 27 } }, 'the focus is " far"')
    -- the five tokens over ' 東京' (bytes 12-19 of row 1: the space, 東 13-16, 京 16-19)
    local cjk = {}
    for _, u in ipairs(units) do
      if u[1] == 1 and u[2] >= 12 and u[4] <= 19 then
        table.insert(cjk, { u[2], u[4] })
      end
    end
    H.eq(cjk, { { 12, 16 }, { 13, 16 }, { 13, 16 }, { 16, 19 }, { 16, 19 } }, 'the overlapping units')
    -- at every byte of row 1 the mark drawn on top (highest priority) is the strongest unit there
    local marks = api.nvim_buf_get_extmarks(buf, H.ns, { 1, 0 }, { 1, -1 }, { details = true })
    for col = 0, #L2 - 1 do
      local best, top_prio, top_bucket = -1, -1, -1
      for _, m in ipairs(marks) do
        local d = m[4]
        local k = tonumber(d.hl_group:match('^Heed(%d)$'))
        if k and m[2] == 1 and m[3] <= col and d.end_row == 1 and col < d.end_col then
          best = math.max(best, k)
          if d.priority > top_prio then
            top_prio, top_bucket = d.priority, k
          end
        end
      end
      H.eq(top_bucket, best, ('the bucket shown at byte %d of row 1'):format(col))
    end
    H.eq(#api.nvim_buf_get_extmarks(buf, H.ns, { 1, 27 }, -1, {}), 0, 'the final "." is not shaded')
  end },

  { 'the info window: top 5 by norm beside top 5 by weight, only what the focus sees', function()
    at(0, 17)
    H.sleep(100)
    H.settle(buf)
    local lines
    heed.info(function(l) lines = l end)
    H.wait(function() return lines ~= nil end, 'the info window')
    H.eq(lines[1], 'Heed smollm2 | norm-summed | layer 29 | from', 'title')
    H.eq(lines[2], 'focus   cabinet', 'focus')
    -- ModelInfo says `predicts: true`: the 5 most probable next tokens after the focus, as
    -- heed/predict gives them for the text up to it
    H.eq(H.daemon.info(MODEL).predicts, true, 'ModelInfo predicts')
    local d = 1
    do
      local want
      H.daemon.request('heed/predict', { model = MODEL, text = TEXT:sub(1, 23), topK = 5 }, function(err, r)
        want = err and { error = err } or r
      end)
      H.wait(function() return want ~= nil end, 'heed/predict')
      H.eq(want.error, nil, 'heed/predict')
      local parts = {}
      for _, p in ipairs(want.tokens) do
        table.insert(parts, ('"%s" %.1f%%'):format(p.text, 100 * p.probability))
      end
      H.eq(#parts, 5, 'five predictions')
      H.eq(lines[3], 'next   ' .. table.concat(parts, '  '), 'the next tokens')
    end
    H.truthy(lines[4 + d]:match('^top 5 by norm%-summed%s+top 5 by attention$'), 'headers: ' .. lines[4 + d])
    -- four contributors on each side (the tokens before the focus), strongest first; both
    -- start with 'The'
    H.eq(#lines, 9 + d, 'four rows: ' .. vim.inspect(lines))
    H.truthy(lines[6 + d]:match('^The%s+%d+%.%d+%s+1%.00%s+The%s+0%.%d+%s+1%.00$'), 'row 1: ' .. lines[6 + d])
    local want = answer('norm-summed', 'from', 0, 17).ranges
    table.sort(want, function(x, y) return x.value > y.value end)
    for i = 1, 4 do
      local tok = TEXT:sub(want[i].start + 1, want[i]['end'])
      H.eq(lines[5 + d + i]:sub(1, #tok), tok, 'row ' .. i)
    end
    api.nvim_win_close(heed.info_window, true)
  end },

  { 'word granularity: "Zürich" and " 東京" are one unit each', function()
    heed.setup({ model = MODEL, method = 'norm-summed', granularity = 'word', keys = false })
    at(1, 25)
    vim.cmd('HeedAnalyze')
    H.settle(buf)
    local units = check('norm-summed', 'from', 1, 25, 'words', 'word')
    local cols = {}
    for _, u in ipairs(units) do
      if u[1] == 1 then
        table.insert(cols, { u[2], u[4] })
      end
    end
    H.eq(cols, { { 0, 7 }, { 7, 12 }, { 12, 19 }, { 19, 23 } }, 'the words of row 1 before " far"')
    heed.setup({ model = MODEL, keys = false })
  end },

  { 'smollm2: the token before the cursor is the focus, marks as the daemon answers', function()
    heed.setup({ model = 'smollm2', keys = false })
    local buf = H.buffer({ CAPITAL })
    -- The cursor on the space before "France": " France" (14-21) starts at it, so the token
    -- before the cursor is " of" (11-14); an encoder would take " France".
    api.nvim_win_set_cursor(0, { 1, 14 })
    vim.cmd('HeedAnalyze')
    H.settle(buf)
    local info = H.daemon.info('smollm2')
    H.eq(info.causal, true, 'causal')
    H.eq(info.predicts, true, 'predicts')
    H.eq(info.methods, { 'norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout',
      'value-zeroing' }, "smollm2's methods")
    local units, focus = H.marks(buf)
    local cursor = H.off32({ CAPITAL }, 0, api.nvim_win_get_cursor(0)[2])
    local cli = H.cli(CAPITAL, cursor, 'norm-summed', 'last', 'from', nil, 'smollm2')
    H.eq(cli.focus, { start = 11, ['end'] = 14 }, 'the daemon takes " of"')
    local want_units, want_focus = H.expect({ CAPITAL }, cli)
    H.eq(units, want_units, 'unit marks')
    H.eq(focus, want_focus, 'focus mark')
    H.eq(heed.statusline(), 'Heed smollm2 norm-summed L29 from', 'statusline')
  end },

  { ':HeedMethod cycles through the methods smollm2 lists', function()
    local errors = #H.notes_at(vim.log.levels.ERROR) -- the refusal of attn-res-ln above
    local seen = { heed.state.method }
    for _ = 1, 9 do
      local before = heed.state.method
      vim.cmd('HeedMethod')
      H.wait(function() return heed.state.method ~= before end, 'the method to change')
      table.insert(seen, heed.state.method)
    end
    H.eq(seen, { 'norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout',
      'value-zeroing', 'norm-summed' }, 'cycle')
    H.eq(#H.notes_at(vim.log.levels.ERROR), errors, 'no new errors')
  end },
})

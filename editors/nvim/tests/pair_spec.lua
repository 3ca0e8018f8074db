-- Translation-pair mode with an encoder-decoder model: the tiny random Marian model of the
-- checkout (Tests/Fixtures/models/tiny-marian; ModelInfo `encoderDecoder: true`, 2 decoder
-- layers, crossMethods norm-summed, attention, norm). Line 1 is the source, line 2 the target.
-- On line 2 the shading lies on line 1 and is the daemon's cross-attention answer (asked for
-- here directly with the same params), the score-1 source unit carries HeedAligned, :HeedMethod
-- cycles crossMethods; on line 1 it is the ordinary highlight of line 1 alone. MiniLM on a
-- two-line buffer is unchanged. Line 3 and an empty line 2 shade nothing and say so once; a blank
-- line 1 gets the daemon's -32602; :HeedLayer on line 2 stays within decoderLayers.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

local MARIAN = vim.fn.fnamemodify(H.root .. '/../..', ':p'):gsub('/$', '') .. '/Tests/Fixtures/models/tiny-marian'
-- ASCII: byte columns are offsets. "braune" is 13-19 of TGT, "fox" 16-19 of SRC.
local SRC = 'The quick brown fox jumps over the lazy dog.'
local TGT = 'Der schnelle braune Fuchs springt.'
local CROSS = { 'norm-summed', 'attention', 'norm' }
local buf

local function at(row, col)
  api.nvim_win_set_cursor(0, { row + 1, col })
end

-- The daemon's own heed/highlight answer for these params (not through pair.lua).
local function ask(params)
  local got
  H.daemon.request('heed/highlight', params, function(err, r)
    got = err and { error = err } or r
  end)
  H.wait(function() return got ~= nil end, 'the direct heed/highlight')
  H.eq(got.error, nil, 'direct heed/highlight ' .. vim.inspect(params))
  return got
end

local function bucket(score)
  return math.max(0, math.min(7, math.floor(score * 8)))
end

-- The marks an answer implies on line 1 (row 0), sorted as H.marks sorts them.
local function expected_units(want)
  local units = {}
  for _, r in ipairs(want.ranges) do
    if r.value ~= 0 then
      table.insert(units, { 0, r.start, 0, r['end'], bucket(r.score) })
    end
  end
  table.sort(units, H.unit_before)
  return units
end

local function score_one(want)
  for _, r in ipairs(want.ranges) do
    if r.score == 1 then
      return r
    end
  end
end

local function target_params(method, col)
  return { model = MARIAN, text = SRC, target = TGT, focusIn = 'target', focus = { start = col, ['end'] = col },
    method = method, layer = 'last', granularity = 'token' }
end

-- The marks for a cursor on line 2 at `col` equal the daemon's answer for `method`.
local function check_target(method, col, what)
  local want = ask(target_params(method, col))
  H.eq(want.rangesIn, 'source', what .. ': rangesIn')
  local units, focus, _, aligned = H.marks(buf)
  H.truthy(#units > 0, what .. ': something is shaded')
  for _, u in ipairs(units) do
    H.truthy(u[1] == 0 and u[3] == 0 and u[4] <= #SRC, what .. ': a shade off line 1: ' .. vim.inspect(u))
  end
  H.eq(units, expected_units(want), what .. ': unit marks on line 1 (columns and buckets)')
  H.eq(focus, { { 1, want.focus.start, 1, want.focus['end'] } }, what .. ': the focus on line 2')
  local one = score_one(want)
  H.truthy(one, what .. ': the daemon gives one range score 1')
  H.eq(aligned, { { 0, one.start, 0, one['end'] } }, what .. ': HeedAligned is the score-1 range')
  local a = heed.analyses[buf]
  H.eq({ a.params.method, a.params.focusIn, a.params.target, a.params.text, a.params.focus.start },
    { method, 'target', TGT, SRC, col }, what .. ': the request')
  return want, one
end

H.run('pair', {
  { 'cursor on line 2: line 1 shaded by cross-attention, the aligned unit emphasised', function()
    heed.setup({ model = MARIAN, method = 'norm-summed', keys = false })
    buf = H.buffer({ SRC, TGT })
    at(1, 15) -- inside "braune"
    vim.cmd('HeedAnalyze')
    H.settle(buf)
    local info = H.daemon.info(MARIAN)
    H.eq(info.encoderDecoder, true, 'ModelInfo encoderDecoder')
    H.eq(info.crossMethods, CROSS, 'ModelInfo crossMethods')
    H.eq(info.decoderLayers, 2, 'ModelInfo decoderLayers')
    local want = check_target('norm-summed', 15, 'norm-summed')
    H.truthy(want.focus.start >= 13 and want.focus['end'] <= 19 and want.focus.start <= 15, 'the focus unit is in "braune"')
    H.eq(heed.statusline(), 'Heed tiny-marian cross norm-summed L1 to source', 'statusline')
  end },

  { 'the info window says what the focus is aligned to', function()
    local lines
    heed.info(function(l) lines = l end)
    H.wait(function() return lines ~= nil end, 'the info window')
    local want = ask(target_params('norm-summed', 15))
    local one = score_one(want)
    H.eq(lines[1], 'Heed tiny-marian | cross norm-summed | decoder layer 1 | input', 'title')
    H.eq(lines[2], 'focus  ' .. TGT:sub(want.focus.start + 1, want.focus['end']), 'focus')
    H.eq(lines[3], 'aligned to: ' .. SRC:sub(one.start + 1, one['end']), 'aligned to')
    H.truthy(lines[6] and lines[6]:find(SRC:sub(one.start + 1, one['end']), 1, true) == 1, 'top 1 is the aligned unit')
    pcall(api.nvim_win_close, heed.info_window, true)
  end },

  { ':HeedMethod on line 2 cycles crossMethods', function()
    for _, m in ipairs({ 'attention', 'norm', 'norm-summed' }) do
      vim.cmd('HeedMethod')
      H.wait(function() return heed.state.cross_method == m end, 'cross method ' .. m)
      H.settle(buf)
      check_target(m, 15, m)
      H.eq(heed.state.method, 'norm-summed', 'the encoder method is untouched')
    end
    vim.cmd('HeedMethod attn-res') -- not a cross method: refused, nothing changes
    H.sleep(50)
    H.eq(heed.state.cross_method, 'norm-summed', 'attn-res is refused on line 2')
    H.truthy(#H.notes_at(vim.log.levels.ERROR) > 0, 'an error says so')
  end },

  { 'cursor moves along line 2 follow the target word', function()
    at(1, 21) -- "Fuchs"
    H.wait(function()
      local a = heed.analyses[buf]
      return a.params and a.params.focus.start == 21 and a.drawn == a.seq and a.req == nil
    end, 'the move to "Fuchs"')
    check_target('norm-summed', 21, 'Fuchs')
  end },

  { 'cursor on line 1: the ordinary highlight of line 1 alone', function()
    at(0, 17) -- "fox"
    H.wait(function()
      local a = heed.analyses[buf]
      return a.params and a.params.target == nil and a.drawn == a.seq and a.req == nil
    end, 'the move to line 1')
    local a = heed.analyses[buf]
    H.eq({ a.params.text, a.params.focus.start, a.params.focusIn }, { SRC, 17, nil }, 'the request: line 1 alone')
    local want = ask({ model = MARIAN, text = SRC, focus = { start = 17, ['end'] = 17 }, method = 'norm-summed',
      layer = 'last', direction = 'from', granularity = 'token' })
    local units, focus, _, aligned = H.marks(buf)
    H.eq(units, expected_units(want), 'line 1 marks: the encoder self-attention')
    H.eq(focus, { { 0, want.focus.start, 0, want.focus['end'] } }, 'the focus is the daemon\'s, on line 1')
    H.truthy(want.focus.start >= 16 and want.focus['end'] <= 19, 'the focus is in "fox"')
    H.eq(aligned, {}, 'no aligned mark on line 1')
    H.eq(heed.statusline(), 'Heed tiny-marian norm-summed L1 from', 'statusline')
    -- on line 1 :HeedMethod cycles the encoder's methods, not crossMethods
    vim.cmd('HeedMethod')
    local second = H.daemon.info(MARIAN).methods[2]
    H.wait(function() return heed.state.method == second end, 'method ' .. second)
    H.settle(buf)
    H.eq(heed.state.cross_method, 'norm-summed', 'the cross method is untouched')
    local w2 = ask({ model = MARIAN, text = SRC, focus = { start = 17, ['end'] = 17 }, method = second,
      layer = 'last', direction = 'from', granularity = 'token' })
    H.eq((H.marks(buf)), expected_units(w2), 'line 1 marks by ' .. second)
    vim.cmd('HeedMethod norm-summed')
    H.wait(function() return heed.state.method == 'norm-summed' end, 'back to norm-summed')
    H.settle(buf)
  end },

  { 'back on line 2 with word granularity', function()
    heed.state.granularity = 'word'
    at(1, 15)
    H.wait(function()
      local a = heed.analyses[buf]
      return a.params and a.params.target and a.params.granularity == 'word' and a.drawn == a.seq and a.req == nil
    end, 'word granularity on line 2')
    local p = target_params('norm-summed', 15)
    p.granularity = 'word'
    local want = ask(p)
    local units, _, _, aligned = H.marks(buf)
    H.eq(units, expected_units(want), 'word marks on line 1')
    local one = score_one(want)
    H.eq(aligned, { { 0, one.start, 0, one['end'] } }, 'the aligned word')
    heed.state.granularity = 'token'
    heed.clear(buf)
  end },

  { 'cursor on line 3 or later: nothing shaded, the echo area says so once', function()
    local pairmod = require('heed.pair')
    local note = 'Heed: ' .. pairmod.BEYOND
    local function count()
      local k = 0
      for _, e in ipairs(H.echoes) do
        k = k + (e == note and 1 or 0)
      end
      return k
    end
    local before = count()
    buf = H.buffer({ SRC, TGT, 'Eine dritte Zeile.', 'Und eine vierte.' })
    at(2, 5)
    vim.cmd('HeedAnalyze')
    H.wait(function() return count() == before + 1 end, 'the note for line 3')
    local a = heed.analyses[buf]
    H.eq(a.pair_side, 'beyond', 'line 3 is beyond the pair')
    H.eq(a.result, nil, 'no result')
    H.eq({ H.marks(buf) }, { {}, {}, {}, {} }, 'nothing is shaded with the cursor on line 3')
    H.eq(a.params, nil, 'no request was sent (not the last token of line 2)')
    at(1, 15) -- line 2 shades line 1
    H.wait(function()
      return a.pair_side == 'target' and a.drawn == a.seq and a.req == nil and a.result ~= nil
    end, 'the move to line 2')
    check_target('norm-summed', 15, 'back on line 2')
    at(3, 3) -- line 4: the shading goes, the note is not repeated
    H.wait(function() return a.pair_side == 'beyond' and #H.marks(buf) == 0 end, 'the move to line 4')
    H.sleep(100)
    H.eq(#H.marks(buf), 0, 'nothing shaded on line 4')
    H.eq(count(), before + 1, 'the note is said once')
    H.eq(#H.notes_at(vim.log.levels.ERROR), 1, 'no error (only the refused attn-res above)')
    heed.clear(buf)
  end },

  { 'an empty or blank line 2 with the cursor on it: nothing shaded, it says so', function()
    local note = 'Heed: the target line (line 2) is empty'
    local errors = #H.notes_at(vim.log.levels.ERROR)
    for _, target in ipairs({ '', '   ' }) do
      local n = #H.echoes
      buf = H.buffer({ SRC, target })
      at(1, #target > 0 and 1 or 0)
      vim.cmd('HeedAnalyze')
      H.wait(function() return #H.echoes > n end, 'a note for ' .. vim.inspect(target))
      H.eq(H.echoes[#H.echoes], note, 'the note for ' .. vim.inspect(target))
      local a = heed.analyses[buf]
      H.truthy(a, 'the analysis stays for ' .. vim.inspect(target))
      H.eq({ a.pair_side, a.result, a.params }, { 'target', nil, nil }, 'no request for ' .. vim.inspect(target))
      H.eq({ H.marks(buf) }, { {}, {}, {}, {} }, 'nothing shaded for ' .. vim.inspect(target))
      at(0, 17) -- line 1 still works
      H.wait(function() return a.result ~= nil and a.drawn == a.seq and a.req == nil end, 'line 1 after the empty line 2')
      H.eq({ a.params.text, a.params.target }, { SRC, nil }, 'line 1 alone')
      H.truthy(#H.marks(buf) > 0, 'line 1 is shaded')
      heed.clear(buf)
    end
    H.eq(#H.notes_at(vim.log.levels.ERROR), errors, 'no error for an empty line 2')
  end },

  { 'a blank line 1 with the cursor on line 2: the daemon\'s -32602 about the empty source', function()
    local errors = #H.notes_at(vim.log.levels.ERROR)
    buf = H.buffer({ '  ', TGT })
    at(1, 15)
    vim.cmd('HeedAnalyze')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) > errors end, 'the daemon error')
    local msg = H.notes_at(vim.log.levels.ERROR)[errors + 1]
    H.truthy(msg:find('-32602', 1, true) and msg:find('the source is empty', 1, true), msg)
    H.eq(heed.analyses[buf], nil, 'no analysis after the error')
    H.eq(#H.marks(buf), 0, 'nothing shaded')
    H.no_traceback()
  end },

  { ':HeedLayer on line 2 chooses among the decoder\'s layers, on line 1 the encoder\'s', function()
    local info = H.daemon.info(MARIAN)
    buf = H.buffer({ SRC, TGT })
    at(1, 15)
    vim.cmd('HeedAnalyze')
    local a = H.settle(buf)
    H.eq(a.params.layer, 'last', 'the last decoder layer to begin with')
    vim.cmd('HeedLayer 0')
    H.wait(function() return heed.state.decoder_layer == 0 end, 'decoder layer 0')
    a = H.settle(buf)
    H.eq(heed.state.layer, 'last', 'the encoder layer is untouched')
    local p = target_params('norm-summed', 15)
    p.layer = 0
    local want = ask(p)
    H.eq(want.layer, 0, 'the daemon answers layer 0')
    H.eq((H.marks(buf)), expected_units(want), 'line 1 shaded by decoder layer 0')
    H.eq(heed.statusline(), 'Heed tiny-marian cross norm-summed L0 to source', 'statusline')
    -- the range is decoderLayers, not the encoder's `layers` (made different here)
    local layers = info.layers
    info.layers = 6
    local errors = #H.notes_at(vim.log.levels.ERROR)
    vim.cmd('HeedLayer 3')
    H.wait(function() return #H.notes_at(vim.log.levels.ERROR) == errors + 1 end, 'layer 3 refused')
    H.truthy(H.notes_at(vim.log.levels.ERROR)[errors + 1]:find('must be 0 to 1 %(.*has 2 decoder layers%)'),
      H.notes_at(vim.log.levels.ERROR)[errors + 1])
    H.eq(heed.state.decoder_layer, 0, 'unchanged by a refused layer')
    vim.cmd('HeedLayer prev') -- wraps within the decoder's 2 layers
    H.wait(function() return heed.state.decoder_layer == 1 end, 'prev wraps to decoder layer 1')
    vim.cmd('HeedLayer next')
    H.wait(function() return heed.state.decoder_layer == 0 end, 'next wraps to decoder layer 0')
    info.layers = layers
    a = H.settle(buf)
    H.eq(a.params.layer, 0, 'the request has decoder layer 0')
    -- line 1: the encoder's layers, and the decoder layer stays
    at(0, 17)
    H.wait(function() return a.pair_side == 'source' and a.drawn == a.seq and a.req == nil end, 'line 1')
    vim.cmd('HeedLayer 0')
    H.wait(function() return heed.state.layer == 0 end, 'encoder layer 0')
    a = H.settle(buf)
    H.eq({ a.params.layer, a.params.target, heed.state.decoder_layer }, { 0, nil, 0 }, 'line 1 uses the encoder layer')
    vim.cmd('HeedLayer last')
    H.wait(function() return heed.state.layer == 'last' end, 'encoder layer last')
    at(1, 15)
    H.wait(function() return a.pair_side == 'target' and a.drawn == a.seq and a.req == nil end, 'line 2 again')
    vim.cmd('HeedLayer last')
    H.wait(function() return heed.state.decoder_layer == 'last' end, 'decoder layer last')
    H.settle(buf)
    heed.clear(buf)
    H.no_traceback()
  end },

  { 'minilm on a two-line buffer is unchanged: one span, no target', function()
    heed.setup({ model = 'minilm', keys = false })
    local b = H.buffer({ SRC, TGT })
    at(1, 15)
    vim.cmd('HeedAnalyze')
    local a = H.settle(b)
    H.eq(a.pair, nil, 'no pair mode')
    H.eq(a.params.text, SRC .. '\n' .. TGT, 'the paragraph is the text')
    H.eq(a.params.target, nil, 'no target')
    local units, focus, _, aligned = H.marks(b)
    H.eq(aligned, {}, 'no aligned mark')
    H.eq(#focus, 1, 'one focus')
    H.truthy(focus[1][1] == 1 and focus[1][2] >= 13 and focus[1][4] <= 19, 'the focus is in "braune" on line 2')
    local rows = {}
    for _, u in ipairs(units) do
      rows[u[1]] = true
    end
    H.truthy(rows[0] and rows[1], 'both lines are shaded')
    H.no_traceback()
  end },
})

-- The follow-up methods in the cycle (protocol.md section 7): ALTI, ALTI rollout, GlobEnc and
-- value zeroing on MiniLM, each shaded exactly as the daemon answers (`heed analyze --json`);
-- their names in the echo area and the statusline; value zeroing's "computing…" message while
-- the request runs, without blocking Neovim. (decoder_spec.lua does the same round on SmolLM2,
-- which has no globenc.)
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

local L1 = 'Zürich: the keys to the cabinet are on the table.'
local L2 = 'The café owner 🙂 said 東京 was far.'
local PARA = { L1, L2 }
local TEXT = table.concat(PARA, '\n')
local MINILM = { 'norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout',
  'alti', 'alti-rollout', 'globenc', 'value-zeroing' }
local buf

-- The marks against the daemon's own answer for the cursor at (row, col) of PARA.
local function check(method, layer, direction, what, row, col)
  local cli = H.cli(TEXT, H.off32(PARA, row or 0, col or 14), method, layer, direction)
  local units, focus = H.marks(buf)
  local want_units, want_focus = H.expect(PARA, cli)
  H.eq(units, want_units, what .. ': unit marks (byte columns and buckets)')
  H.eq(focus, want_focus, what .. ': focus mark')
  H.truthy(#units > 0, what .. ': something is shaded')
  return units, cli
end

local function last_echo()
  return H.echoes[#H.echoes]
end

H.run('methods', {
  { 'minilm lists the four follow-ups; :HeedMethod walks through all eleven, each as the daemon shades it', function()
    heed.setup({ model = 'minilm', method = 'norm-summed', keys = false })
    buf = H.buffer(PARA)
    api.nvim_win_set_cursor(0, { 1, 14 }) -- on "keys"
    vim.cmd('HeedAnalyze')
    H.settle(buf)
    H.eq(H.daemon.info('minilm').methods, MINILM, "minilm's methods (ModelInfo)")
    local seen, shading = { heed.state.method }, {}
    for _ = 1, #MINILM do
      local before = heed.state.method
      vim.cmd('HeedMethod')
      H.wait(function() return heed.state.method ~= before end, 'the next method after ' .. before)
      local a = H.settle(buf)
      local m = heed.state.method
      table.insert(seen, m)
      shading[m] = check(m, 'last', 'from', m)
      H.eq(a.result.method, m, m .. ': the method the daemon used')
      local layer = a.result.layer
      if heed.rollouts[m] then
        H.truthy(layer == nil or layer == vim.NIL, m .. ': no layer for a product over layers: ' .. tostring(layer))
      else
        H.eq(layer, 5, m .. ': the last layer')
      end
      H.truthy(last_echo():find('method ' .. m, 1, true), m .. ': echoed: ' .. tostring(last_echo()))
      H.eq(heed.statusline(), ('Heed minilm %s %s from'):format(m, heed.rollouts[m] and 'all layers' or 'L5'),
        m .. ': statusline')
    end
    H.eq(seen, { 'norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti',
      'alti-rollout', 'globenc', 'value-zeroing', 'norm-summed' }, 'the cycle, wrapping to the first')
    -- the new methods shade differently from the attention weights they are compared with
    H.neq(shading.alti, shading.attention, 'alti vs attention')
    H.neq(shading['value-zeroing'], shading.attention, 'value-zeroing vs attention')
    H.neq(shading['alti-rollout'], shading.rollout, 'alti-rollout vs rollout')
    H.neq(shading.globenc, shading.rollout, 'globenc vs rollout')
  end },

  { 'the echo area names what each follow-up is', function()
    for _, mw in ipairs({ { 'alti', 'ALTI (Ferrando et al. 2022)' }, { 'alti-rollout', 'ALTI rolled out' },
      { 'globenc', 'GlobEnc (Modarressi et al. 2022)' }, { 'value-zeroing', 'value zeroing (Mohebbi et al. 2023' } }) do
      local m, words = mw[1], mw[2]
      vim.cmd('HeedMethod ' .. m)
      H.wait(function() return heed.state.method == m end, m)
      H.settle(buf)
      H.truthy(last_echo():find(words, 1, true), m .. ': ' .. tostring(last_echo()))
    end
    H.truthy(last_echo():find('slow', 1, true), 'value zeroing is said to be slow: ' .. last_echo())
    H.truthy(heed.describe_method('alti-rollout'):find('rolled out', 1, true), 'describe_method')
    H.eq(heed.describe_method('some-future-method'), 'some-future-method', 'an unknown method by its name')
  end },

  { 'value zeroing and alti in other layers and directions: the daemon\'s shading', function()
    H.eq(heed.state.method, 'value-zeroing', 'the method the test before left')
    vim.cmd('HeedLayer 2')
    H.wait(function() return heed.state.layer == 2 end, 'layer 2')
    H.settle(buf)
    check('value-zeroing', 2, 'from', 'value-zeroing, layer 2')
    vim.cmd('HeedDirection to')
    H.settle(buf)
    check('value-zeroing', 2, 'to', 'value-zeroing, layer 2, to')
    vim.cmd('HeedMethod alti')
    H.wait(function() return heed.state.method == 'alti' end, 'alti')
    H.settle(buf)
    check('alti', 2, 'to', 'alti, layer 2, to')
    vim.cmd('HeedDirection from')
    H.settle(buf)
    -- a new focus on the second line
    api.nvim_win_set_cursor(0, { 2, 5 }) -- on "café"
    H.sleep(100)
    H.settle(buf)
    check('alti', 2, 'from', 'alti, layer 2, on "café"', 1, 5)
    api.nvim_win_set_cursor(0, { 1, 14 })
    H.sleep(100)
    H.settle(buf)
  end },

  { 'value zeroing running: "computing value zeroing…" in the echo area and the statusline, Neovim not blocked', function()
    -- A text the daemon has not analysed (its cache would answer at once) and a delay of 0: the
    -- message shows as soon as the request is sent, and goes when the shading is drawn.
    heed.setup({ model = 'minilm', method = 'value-zeroing', layer = 'last', busy_delay = 0, keys = false })
    local lines = {}
    for i = 1, 6 do
      lines[i] = ('Line %d: the quick brown fox jumps over the lazy dog near the river bank, twice.'):format(i)
    end
    buf = H.buffer(lines)
    api.nvim_win_set_cursor(0, { 1, 10 })
    local echoes = #H.echoes
    vim.cmd('HeedAnalyze')
    local a = heed.analyses[buf]
    H.wait(function() return a.busy ~= nil or a.drawn == a.seq end, 'the busy message or the answer')
    -- the message appeared while the request was in flight (the wait above returned to the
    -- main loop, so Neovim kept running meanwhile)
    local said = false
    for i = echoes + 1, #H.echoes do
      said = said or H.echoes[i] == 'Heed: computing value zeroing…'
    end
    H.truthy(said, 'computing message: ' .. vim.inspect(vim.list_slice(H.echoes, echoes + 1)))
    if a.busy then
      H.truthy(heed.statusline():find('computing value zeroing…', 1, true), 'statusline: ' .. heed.statusline())
    end
    H.settle(buf)
    H.eq(a.busy, nil, 'no longer busy')
    H.eq(last_echo(), 'Heed: value zeroing done', 'the done message')
    H.eq(heed.statusline(), 'Heed minilm value-zeroing L5 from', 'the statusline without it')
    local cli = H.cli(table.concat(lines, '\n'), 10, 'value-zeroing', 'last', 'from')
    local want = H.expect(lines, cli)
    H.eq((H.marks(buf)), want, 'value zeroing on six lines: the daemon\'s shading')
    heed.setup({ busy_delay = 300, keys = false })
  end },

  { 'a cursor move while value zeroing runs does not restart it; the new focus comes when it lands', function()
    heed.setup({ model = 'minilm', method = 'value-zeroing', layer = 'last', busy_delay = 0, keys = false })
    local lines = {}
    for i = 1, 20 do -- about 330 tokens: value zeroing takes a good part of a second
      lines[i] = ('Row %d: a slow brown fox walks past the lazy dogs by the river.'):format(i)
    end
    buf = H.buffer(lines)
    api.nvim_win_set_cursor(0, { 1, 10 })
    vim.cmd('HeedAnalyze')
    local a = heed.analyses[buf]
    H.wait(function() return a.busy ~= nil end, 'value zeroing to be running')
    local stats = H.daemon.stats
    local cancels, sent = stats.cancels, stats.methods['heed/highlight']
    api.nvim_win_set_cursor(0, { 3, 12 }) -- debounced: a refresh 50 ms later
    H.wait(function() return a.after == true or a.drawn == a.seq end, 'the move to be seen')
    H.truthy(a.after, 'the move came while value zeroing ran (the test needs a slow request)')
    H.settle(buf)
    H.eq(stats.cancels, cancels, 'the running request was not cancelled')
    H.eq(stats.methods['heed/highlight'], sent + 1, 'one more request, for the new focus (from the cache)')
    local cursor = H.off32(lines, 2, 12)
    local want_units, want_focus = H.expect(lines, H.cli(table.concat(lines, '\n'), cursor, 'value-zeroing', 'last', 'from'))
    local units, focus = H.marks(buf)
    H.eq(focus, want_focus, 'the focus is the token under the new cursor')
    H.eq(units, want_units, 'its shading is the daemon\'s')
    -- a setting change still replaces a running request at once
    heed.setup({ busy_delay = 300, keys = false })
  end },
})

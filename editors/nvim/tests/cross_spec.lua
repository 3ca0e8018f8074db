-- The shared cross-editor fixtures (editors/fixtures/README.md): shade each as a person would,
-- then write $HEED_CROSS_OUT/nvim<suffix>.json with utf-32 offsets of the fixture's text
-- (cross-editor.json: MiniLM -> nvim.json; cross-editor-smollm2.json: a decoder ->
-- nvim-smollm2.json).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

local fixtures = H.root .. '/../fixtures/'

-- Marks in text order; overlapping units (byte-level tokens sharing a character) by end, bucket.
local function order(x, y)
  if x.start ~= y.start then
    return x.start < y.start
  end
  if x['end'] ~= y['end'] then
    return x['end'] < y['end']
  end
  return x.bucket < y.bucket
end

local function shade(name, focus_text, count)
  local fx = vim.json.decode(table.concat(vim.fn.readfile(fixtures .. name), '\n'))
  local lines = vim.split(fx.text, '\n', { plain = true })
  heed.setup({ model = fx.model, keys = false })
  local buf = H.buffer(lines)
  -- the selection [start, end): '<' on its first character, '>' on its last
  local sr, sc = H.pos32(lines, fx.selection.start)
  local lr, lc = H.pos32(lines, fx.selection['end'] - 1)
  vim.cmd('normal! v\27')
  vim.fn.setpos("'<", { 0, sr + 1, sc + 1, 0 })
  vim.fn.setpos("'>", { 0, lr + 1, lc + 1, 0 })
  local cr, cc = H.pos32(lines, fx.cursor)
  api.nvim_win_set_cursor(0, { cr + 1, cc })
  vim.cmd('HeedMethod ' .. fx.method)
  vim.cmd('HeedLayer ' .. fx.layer)
  vim.cmd('HeedDirection ' .. fx.direction)
  H.wait(function()
    return heed.state.method == fx.method and heed.state.layer == fx.layer and heed.state.direction == fx.direction
  end, 'the settings')
  vim.cmd(("%d,%dHeedAnalyze"):format(sr + 1, lr + 1))
  local a = H.settle(buf)
  H.eq(a.text, vim.fn.strcharpart(fx.text, fx.selection.start, fx.selection['end'] - fx.selection.start),
    'the analysed text is the selection')

  -- back from byte columns to utf-32 offsets of the fixture text
  local units, focus = H.marks(buf)
  local marks = {}
  for _, u in ipairs(units) do
    table.insert(marks, { start = H.off32(lines, u[1], u[2]), ['end'] = H.off32(lines, u[3], u[4]), bucket = u[5] })
  end
  table.sort(marks, order)
  H.eq(#focus, 1, 'one focus mark')
  local out = {
    focus = { start = H.off32(lines, focus[1][1], focus[1][2]), ['end'] = H.off32(lines, focus[1][3], focus[1][4]) },
    marks = marks,
  }

  -- the daemon's own answer on the selected text, in utf-32
  local want = H.cli(a.text, fx.cursor - fx.selection.start, fx.method, fx.layer, fx.direction, nil,
    { model = fx.model })
  local want_marks = {}
  for _, r in ipairs(want.ranges) do
    if r.value ~= 0 then -- nothing flows: no shade (editors/fixtures/README.md)
      table.insert(want_marks, { start = r.start + fx.selection.start, ['end'] = r['end'] + fx.selection.start,
        bucket = math.min(7, math.floor(r.score * 8)) })
    end
  end
  table.sort(want_marks, order)
  H.eq(out.marks, want_marks, 'marks in utf-32 offsets')
  H.eq(out.focus, { start = want.focus.start + fx.selection.start, ['end'] = want.focus['end'] + fx.selection.start },
    'focus')
  H.eq(vim.fn.strcharpart(fx.text, out.focus.start, out.focus['end'] - out.focus.start), focus_text, 'the focus')
  H.eq(#out.marks, count, 'the number of marks')

  local dir = vim.env.HEED_CROSS_OUT
  if dir and dir ~= '' then
    vim.fn.mkdir(dir, 'p')
    local file = dir .. '/nvim' .. name:match('^cross%-editor(.*)%.json$') .. '.json'
    local f = assert(io.open(file, 'w'))
    f:write(vim.json.encode(out), '\n')
    f:close()
    H.out('  wrote ' .. file)
  end
end

H.run('cross', {
  { 'the cross-editor fixture (MiniLM)', function()
    shade('cross-editor.json', 'keys', 21)
  end },
  -- SmolLM2: every token before " far" (29, five of them overlapping over the combining mark,
  -- 東 and 京), none after it
  { 'the cross-editor fixture with a decoder (SmolLM2)', function()
    shade('cross-editor-smollm2.json', ' far', 29)
  end },
})

-- Offsets to buffer positions: CRLF files (fileformat dos, and unix showing ^M), tabs,
-- combining marks, emoji, CJK, and characterwise selections starting mid-line.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed
local text = require('heed.text')

-- Analyses the paragraph at the cursor and checks every mark against the daemon's own answer
-- (the CLI, utf-32) converted to byte columns by byteidxcomp().
local function check_paragraph(buf, lines, row, col, what)
  api.nvim_win_set_cursor(0, { row + 1, col })
  vim.cmd('HeedAnalyze')
  H.settle(buf)
  local units, focus = H.marks(buf)
  local want_units, want_focus = H.expect(lines,
    H.cli(table.concat(lines, '\n'), H.off32(lines, row, col), 'norm-summed', 'last', 'from'))
  H.eq(units, want_units, what .. ': unit marks')
  H.eq(focus, want_focus, what .. ': focus')
  H.truthy(#units > 5, what .. ': some marks')
  return units, focus
end

local tmp = vim.fn.tempname()

H.run('positions', {
  { 'to_pos and to_offset', function()
    local span = { srow = 4, scol = 3, erow = 6, ecol = 2, starts = { 0, 6, 10 }, len = 12 }
    H.eq({ text.to_pos(span, 0) }, { 4, 3 }, 'start')
    H.eq({ text.to_pos(span, 5) }, { 4, 8 }, 'end of the first line (the line break)')
    H.eq({ text.to_pos(span, 6) }, { 5, 0 }, 'start of the second line')
    H.eq({ text.to_pos(span, 11) }, { 6, 1 }, 'third line')
    H.eq(text.to_offset(span, 4, 3), 0, 'offset of the start')
    H.eq(text.to_offset(span, 5, 2), 8, 'offset in the second line')
    H.eq(text.to_offset(span, 4, 2), nil, 'before the span')
    H.eq(text.to_offset(span, 6, 3), nil, 'after the span')
    H.eq(text.to_offset(span, 7, 0), nil, 'below the span')
    H.eq(text.char_len('ae\204\129x', 1), 3, 'e with a combining acute is one character of 3 bytes')
    H.eq(text.char_len('a🙂', 1), 4, 'an emoji is 4 bytes')
  end },

  { 'a CRLF file (fileformat=dos): the text is what the buffer holds, lines joined by LF', function()
    local f = io.open(tmp, 'wb')
    f:write('Naïve café\towners said 🙂 to 東京 friends.\r\nThe résumé was fine.\r\n\r\nOther text.\r\n')
    f:close()
    vim.cmd('edit! ' .. vim.fn.fnameescape(tmp))
    local buf = api.nvim_get_current_buf()
    H.eq(vim.bo.fileformat, 'dos', 'fileformat')
    local lines = api.nvim_buf_get_lines(buf, 0, 2, false)
    H.eq(lines[1]:find('\r'), nil, 'no CR in the buffer')
    local units = check_paragraph(buf, lines, 0, 10, 'dos') -- the cursor on the é of 'café' (bytes 10-11)
    H.eq({ units[1][2], units[1][4] }, { 0, 6 }, '"naïve" is bytes 0-6')
    H.eq({ units[#units][1], units[#units][2], units[#units][4] }, { 1, 21, 22 }, 'the last "." of row 1 (résumé has two 2-byte é)')
    local _, focus = H.marks(buf)
    H.eq(focus, { { 0, 7, 0, 12 } }, 'the focus is café, bytes 7-12')
    vim.cmd('HeedClear')
    H.eq(#api.nvim_buf_get_extmarks(buf, H.ns, 0, -1, {}), 0, ':HeedClear')
    vim.cmd('bwipeout!')
  end },

  { 'the same file read as unix: the CR is a byte of the line and of the text', function()
    vim.cmd('edit! ++ff=unix ' .. vim.fn.fnameescape(tmp))
    local buf = api.nvim_get_current_buf()
    local lines = api.nvim_buf_get_lines(buf, 0, 2, false)
    H.eq(lines[2], 'The résumé was fine.\r', 'the CR is in the buffer')
    local units = check_paragraph(buf, lines, 1, 5, 'unix with CR') -- 'résumé'
    H.eq({ units[#units][1], units[#units][2], units[#units][4] }, { 1, 21, 22 }, 'the "." before the CR')
    vim.cmd('bwipeout!')
  end },

  { 'tabs, combining marks, emoji with modifiers, CJK', function()
    local lines = {
      '\tTabbed\ttext: e\204\129te\204\129 in Montre\204\129al, 👍🏽 and 👨‍👩‍👧 went to',
      '日本語のテキスト and the Straße with ﬁne ligatures.',
    }
    local buf = H.buffer(lines)
    check_paragraph(buf, lines, 0, 15, 'combining marks (cursor in été)')
    check_paragraph(buf, lines, 1, 3, 'CJK (cursor on 本)')
    check_paragraph(buf, lines, 0, 1, 'tab (cursor on Tabbed)')
  end },

  { 'a characterwise selection from mid-line, ending on a multi-byte character', function()
    local lines = { 'Zürich: the keys to', 'the cabinet 🙂 are here.' }
    local buf = H.buffer(lines)
    vim.cmd('normal! v\27') -- the last visual mode is characterwise
    vim.fn.setpos("'<", { 0, 1, 10, 0 }) -- 'the' (byte 9, 1-based 10)
    vim.fn.setpos("'>", { 0, 2, 13, 0 }) -- the emoji's first byte (byte 12): all 4 bytes are in
    api.nvim_win_set_cursor(0, { 2, 5 }) -- 'cabinet'
    vim.cmd("'<,'>HeedAnalyze")
    local a = H.settle(buf)
    H.eq(a.text, 'the keys to\nthe cabinet 🙂', 'the selected text')
    local sel = { 'the keys to', 'the cabinet 🙂' }
    local units, focus = H.marks(buf)
    local want_units, want_focus = H.expect(sel,
      H.cli(a.text, H.off32(sel, 1, 5), 'norm-summed', 'last', 'from'), 0, 9)
    H.eq(units, want_units, 'unit marks shifted by the selection start')
    H.eq(focus, want_focus, 'focus')
    H.eq(focus, { { 1, 4, 1, 11 } }, 'cabinet')
    H.eq(units[1], { 0, 9, 0, 12, units[1][5] }, 'the first unit starts at the selection')
    H.eq({ units[#units][2], units[#units][4] }, { 12, 16 }, 'the emoji, whole')
    -- a selection ending on e + combining acute takes the mark with it
    lines = { 'un cafe\204\129 noir' }
    buf = H.buffer(lines)
    vim.cmd('normal! v\27')
    vim.fn.setpos("'<", { 0, 1, 4, 0 })
    vim.fn.setpos("'>", { 0, 1, 7, 0 }) -- the 'e'
    api.nvim_win_set_cursor(0, { 1, 3 })
    vim.cmd("'<,'>HeedAnalyze")
    a = H.settle(buf)
    H.eq(a.text, 'cafe\204\129', 'the combining mark is selected with its base')
  end },
})

-- Spans and offsets.
--
-- Heed negotiates "utf-8" positions, so every offset the daemon reads or writes is a byte
-- offset into the request's `text`, and Neovim's columns are byte columns too: converting is
-- a matter of lines, never of characters. Tabs, combining marks, emoji and CJK need no
-- special case (a tab is one byte; the others are whole UTF-8 sequences the daemon never
-- splits, and the cursor column always sits on a character boundary).
--
-- The text of a span is what the buffer holds: its lines joined with "\n". A 'fileformat'
-- "dos" buffer holds lines without their "\r" (Neovim strips them on read and writes them
-- back on write), so the daemon sees "\n" where the file has "\r\n"; a "unix" buffer that
-- shows "^M" holds a real "\r" byte at the end of the line, and that byte is part of the
-- text and of the column count. Either way an offset maps to the buffer by counting the
-- bytes of buffer lines plus one per line break, which is what `to_pos` does.
local M = {}

--- The text between two buffer positions, and the offset at which each line starts.
--- @param bufnr integer
--- @param srow integer 0-based first row
--- @param scol integer byte column in the first row
--- @param erow integer 0-based last row
--- @param ecol integer byte column (exclusive) in the last row
--- @return string text, integer[] starts (starts[i] = offset of row srow + i - 1)
function M.span_text(bufnr, srow, scol, erow, ecol)
  local lines = vim.api.nvim_buf_get_lines(bufnr, srow, erow + 1, false)
  if #lines == 0 then
    return '', { 0 }
  end
  lines[#lines] = lines[#lines]:sub(1, ecol)
  lines[1] = lines[1]:sub(scol + 1)
  local starts, off = {}, 0
  for i, line in ipairs(lines) do
    starts[i] = off
    off = off + #line + 1
  end
  return table.concat(lines, '\n'), starts
end

--- Buffer position (0-based row, byte column) of a byte offset into a span's text.
--- An offset at a line break maps to the end of its line.
--- @param span table {srow, scol, starts}
--- @param offset integer
--- @return integer row, integer col
function M.to_pos(span, offset)
  local starts = span.starts
  local lo, hi = 1, #starts
  while lo < hi do -- the last line whose start is <= offset
    local mid = math.floor((lo + hi + 1) / 2)
    if starts[mid] <= offset then
      lo = mid
    else
      hi = mid - 1
    end
  end
  local col = offset - starts[lo]
  if lo == 1 then
    col = col + span.scol
  end
  return span.srow + lo - 1, col
end

--- Byte offset into a span's text of a buffer position, or nil when it lies outside the span.
--- @param span table {srow, scol, erow, ecol, starts, len}
--- @param row integer 0-based
--- @param col integer byte column
--- @return integer|nil
function M.to_offset(span, row, col)
  if row < span.srow or row > span.erow then
    return nil
  end
  if row == span.srow and col < span.scol then
    return nil
  end
  if row == span.erow and col > span.ecol then
    return nil
  end
  local i = row - span.srow + 1
  local off = span.starts[i] + col - (i == 1 and span.scol or 0)
  return math.min(off, span.len)
end

--- Byte length of the character (with its combining marks) that starts at byte `col` of
--- `line`, so that a visual selection's last character is included whole.
--- @param line string
--- @param col integer 0-based byte column
--- @return integer
function M.char_len(line, col)
  if col >= #line then
    return 0
  end
  -- strpart with {chars}: one base character together with its composing characters.
  return #vim.fn.strpart(line, col, 1, 1)
end

--- The paragraph around `row` (0-based): the run of non-blank lines containing it.
--- @return integer|nil first, integer|nil last
function M.paragraph(bufnr, row)
  local n = vim.api.nvim_buf_line_count(bufnr)
  local function blank(r)
    local l = vim.api.nvim_buf_get_lines(bufnr, r, r + 1, false)[1]
    return l == nil or l:match('^%s*$') ~= nil
  end
  if blank(row) then
    return nil, nil
  end
  local first, last = row, row
  while first > 0 and not blank(first - 1) do
    first = first - 1
  end
  while last < n - 1 and not blank(last + 1) do
    last = last + 1
  end
  return first, last
end

--- The substring of a span's text at [s, e).
function M.slice(text, s, e)
  return text:sub(s + 1, e)
end

return M

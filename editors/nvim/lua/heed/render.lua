-- Highlight groups and extmarks.
--
-- Every unit of the span except the focus and those of value 0 (nothing flows: with a causal
-- model, the tokens a `from` focus cannot see) gets one extmark in the namespace `heed`,
-- covering exactly its byte columns, with the group Heed<k> where k = min(7, floor(score * 8)). The focus
-- gets HeedFocus; with a long text, the parts of the span outside the analysed window get
-- HeedOutside. Heed0..Heed7 are linked with `default = true` to HeedScale0..HeedScale7, Heed's
-- own sequential scale for the current 'background' (or setup's `colors`), so a colour scheme
-- that defines Heed0..Heed7 wins.
local config = require('heed.config')
local text = require('heed.text')

local api = vim.api
local M = {}

M.ns = api.nvim_create_namespace('heed')

-- One sequential scale each; foregrounds chosen for contrast on their own background, so each
-- bucket reads on any colour scheme.
M.scales = {
  light = { -- pale yellow to deep red
    { bg = '#ffffcc', fg = '#000000', ctermbg = 230, ctermfg = 16 },
    { bg = '#ffeda0', fg = '#000000', ctermbg = 229, ctermfg = 16 },
    { bg = '#fed976', fg = '#000000', ctermbg = 222, ctermfg = 16 },
    { bg = '#feb24c', fg = '#000000', ctermbg = 215, ctermfg = 16 },
    { bg = '#fd8d3c', fg = '#000000', ctermbg = 209, ctermfg = 16 },
    { bg = '#fc4e2a', fg = '#ffffff', ctermbg = 202, ctermfg = 231 },
    { bg = '#e31a1c', fg = '#ffffff', ctermbg = 160, ctermfg = 231 },
    { bg = '#b10026', fg = '#ffffff', ctermbg = 124, ctermfg = 231 },
  },
  dark = { -- near the background to bright amber
    { bg = '#2e2a3a', fg = '#d8d8d8', ctermbg = 236, ctermfg = 252 },
    { bg = '#4a2f5c', fg = '#e8e8e8', ctermbg = 54, ctermfg = 254 },
    { bg = '#6b2f6b', fg = '#ffffff', ctermbg = 90, ctermfg = 231 },
    { bg = '#932f67', fg = '#ffffff', ctermbg = 125, ctermfg = 231 },
    { bg = '#bb3754', fg = '#ffffff', ctermbg = 161, ctermfg = 231 },
    { bg = '#dd513a', fg = '#000000', ctermbg = 166, ctermfg = 16 },
    { bg = '#f3771a', fg = '#000000', ctermbg = 208, ctermfg = 16 },
    { bg = '#fca50a', fg = '#000000', ctermbg = 214, ctermfg = 16 },
  },
}

--- Defines the highlight groups (again after a colour scheme or 'background' change).
function M.define()
  local scale = config.options.colors or M.scales[vim.o.background == 'light' and 'light' or 'dark']
  for k = 0, 7 do
    local c = scale[k + 1] or {}
    api.nvim_set_hl(0, 'HeedScale' .. k, { bg = c.bg, fg = c.fg, ctermbg = c.ctermbg, ctermfg = c.ctermfg })
    api.nvim_set_hl(0, 'Heed' .. k, { link = 'HeedScale' .. k, default = true })
  end
  api.nvim_set_hl(0, 'HeedFocus', { bold = true, underline = true, default = true })
  -- Translation-pair mode (pair.lua): the source unit a target focus aligns to (score 1), drawn
  -- over its shade (only the attributes: the shade's colours stay).
  api.nvim_set_hl(0, 'HeedAligned', { bold = true, underline = true, default = true })
  api.nvim_set_hl(0, 'HeedOutside', { link = 'NonText', default = true })
end

function M.bucket(score)
  local b = math.floor((tonumber(score) or 0) * 8)
  return math.max(0, math.min(7, b))
end

local function mark(buf, span, s, e, group, priority)
  local sr, sc = text.to_pos(span, s)
  local er, ec = text.to_pos(span, e)
  api.nvim_buf_set_extmark(buf, M.ns, sr, sc, {
    end_row = er,
    end_col = ec,
    hl_group = group,
    priority = priority,
  })
end

M.mark = mark

--- Whether a range of a heed/highlight result is shaded: every unit except those whose value is
--- exactly 0, where nothing flows (with a causal model, the tokens after the focus for `from`
--- and those before it for `to`: a decoder never looks ahead).
function M.shaded(r)
  return tonumber(r.value) ~= 0
end

--- Draws a heed/highlight result over an analysis' span (replacing what was there).
--- Units may overlap (a byte-level BPE token holding part of a character shares it with the
--- next): each mark's priority grows with its bucket, so the strongest unit shows.
function M.draw(a, result)
  api.nvim_buf_clear_namespace(a.buf, M.ns, 0, -1)
  for _, r in ipairs(result.ranges or {}) do
    if M.shaded(r) then
      local k = M.bucket(r.score)
      mark(a.buf, a.span, r.start, r['end'], 'Heed' .. k, 4100 + k)
    end
  end
  if result.focus then
    mark(a.buf, a.span, result.focus.start, result.focus['end'], 'HeedFocus', 4201)
  end
  local w = result.window
  if w then
    if w.start > 0 then
      mark(a.buf, a.span, 0, w.start, 'HeedOutside', 4199)
    end
    if w['end'] < a.span.len then
      mark(a.buf, a.span, w['end'], a.span.len, 'HeedOutside', 4199)
    end
  end
end

function M.clear(buf)
  if api.nvim_buf_is_valid(buf) then
    api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  end
end

return M

-- Translation-pair mode, for an encoder-decoder model (ModelInfo `encoderDecoder: true`,
-- protocol.md section 5.9): the buffer's first line is the source text, its second line the
-- target. With the cursor on line 2, heed/highlight gets text = line 1, target = line 2,
-- focusIn "target" and the cursor's byte offset in line 2 as the focus, and shades line 1 by
-- the cross-attention (method: one of ModelInfo `crossMethods`); the source unit with score 1
-- (what the focus aligns to) is emphasised with HeedAligned on top of its shade. With the
-- cursor on line 1: the ordinary highlight of line 1 alone (the encoder's self-attention).
-- Cursor on line 3 or later, or on an empty line 2: nothing is shaded and the echo area says
-- why (once per analysis). :HeedLayer on line 2 chooses among the decoder's layers
-- (ModelInfo `decoderLayers`, `state.decoder_layer`), on line 1 among the encoder's.
-- Any other model never comes here.
local text = require('heed.text')
local render = require('heed.render')

local api = vim.api
local M = {}

--- Whether a ModelInfo is an encoder-decoder model's (a missing field means it is not).
function M.is_pair(info)
  return type(info) == 'table' and info.encoderDecoder == true
end

--- The cross-attention methods of a ModelInfo, in the order the toggle cycles them.
function M.cross_methods(info)
  local m = type(info) == 'table' and info.crossMethods
  return type(m) == 'table' and m or {}
end

--- Makes an analysis a pair analysis: its span becomes lines 1 and 2 of the buffer (so the
--- cursor maps to an offset of "line1\nline2" as for any span), `a.pair` holds the two texts.
function M.prepare(a)
  local lines = api.nvim_buf_get_lines(a.buf, 0, 2, false)
  local source, target = lines[1] or '', lines[2] or ''
  if a.pair and a.pair.source == source and a.pair.target == target then
    return
  end
  local erow = #lines >= 2 and 1 or 0
  local t, starts = text.span_text(a.buf, 0, 0, erow, #(lines[erow + 1] or ''))
  a.text = t
  a.span = { srow = 0, scol = 0, erow = erow, ecol = #(lines[erow + 1] or ''), starts = starts, len = #t }
  a.pair = { source = source, target = target, tstart = starts[2] }
end

--- The notes for a cursor where pair mode shades nothing.
M.BEYOND = 'pair mode reads line 1 (source) and line 2 (target); lines after the second are not part of the pair'
M.EMPTY_TARGET = 'the target line (line 2) is empty'

--- The 0-based row of the cursor when the current window shows the analysis' buffer, else nil.
function M.cursor_row(a)
  local win = api.nvim_get_current_win()
  if api.nvim_win_get_buf(win) ~= a.buf then
    return nil
  end
  return api.nvim_win_get_cursor(win)[1] - 1
end

--- The decoder layer in use: `state.decoder_layer` ('last' resolved), or nil when unknown.
function M.decoder_layer(state, info)
  local n = tonumber(type(info) == 'table' and info.decoderLayers) or 0
  local layer = state.decoder_layer
  if type(layer) ~= 'number' or layer >= n then
    return n > 0 and n - 1 or nil
  end
  return layer
end

--- The cross method in use: `state.cross_method` when the model lists it, else its first.
function M.cross_method(state, info)
  local methods = M.cross_methods(info)
  if vim.tbl_contains(methods, state.cross_method) then
    return state.cross_method
  end
  state.cross_method = methods[1]
  return state.cross_method
end

--- The heed/highlight params for a span offset `off` of a pair analysis, and which line the
--- focus is in ('target' or 'source'). An empty (or whitespace) line 2 gives no params, side
--- 'target' and the note to say.
function M.params(a, off, state, info)
  local p = a.pair
  if p.tstart and off >= p.tstart and #M.cross_methods(info) > 0 then
    if not p.target:match('%S') then
      return nil, 'target', M.EMPTY_TARGET
    end
    local layer = state.decoder_layer
    if type(layer) ~= 'number' or layer >= (tonumber(info.decoderLayers) or 0) then
      layer = 'last'
    end
    local focus = off - p.tstart
    return {
      model = state.model,
      text = p.source,
      target = p.target,
      focusIn = 'target',
      focus = { start = focus, ['end'] = focus },
      method = M.cross_method(state, info),
      layer = layer,
      granularity = state.granularity,
    }, 'target'
  end
  local focus = math.min(off, #p.source)
  return {
    model = state.model,
    text = p.source,
    focus = { start = focus, ['end'] = focus },
    method = state.method,
    layer = state.layer,
    direction = state.direction,
    granularity = state.granularity,
  }, 'source'
end

--- The range with score 1 (the aligned source unit for a target focus), or nil.
function M.aligned(result)
  for _, r in ipairs(result.ranges or {}) do
    if r.score == 1 and tonumber(r.value) ~= 0 then
      return r
    end
  end
end

--- A result in span offsets: ranges are offsets into line 1, which starts the span; a target
--- focus moves to line 2.
function M.to_span(a, result, side)
  if side ~= 'target' then
    return result
  end
  local r = vim.deepcopy(result)
  r.focus = { start = result.focus.start + a.pair.tstart, ['end'] = result.focus['end'] + a.pair.tstart }
  return r
end

--- Draws a pair result (already in span offsets): the shades and the focus as for any model,
--- and, for a target focus, HeedAligned over the aligned source unit.
function M.draw(a, result, side)
  render.draw(a, result)
  if side == 'target' then
    local r = M.aligned(result)
    if r then
      render.mark(a.buf, a.span, r.start, r['end'], 'HeedAligned', 4202)
    end
  end
end

--- The info window's lines for a target focus: the focus, "aligned to: <source unit>", and
--- the top 5 source units.
function M.info_lines(a, model_name)
  local r = a.result
  local lines, hls = {}, {}
  local layer = r.layer ~= nil and ('decoder layer ' .. r.layer) or ''
  table.insert(lines, ('Heed %s | cross %s | %s | %s'):format(model_name, r.method, layer, a.params.setting or 'input'))
  table.insert(lines, 'focus  ' .. text.slice(a.text, r.focus.start, r.focus['end']))
  local al = M.aligned(r)
  table.insert(lines, 'aligned to: ' .. (al and text.slice(a.pair.source, al.start, al['end']) or '(none)'))
  if al then
    table.insert(hls, { #lines - 1, 12, 12 + al['end'] - al.start, 'HeedAligned' })
  end
  table.insert(lines, '')
  table.insert(lines, 'top 5 source units by ' .. r.method)
  local copy = vim.tbl_filter(render.shaded, r.ranges or {})
  table.sort(copy, function(x, y)
    if x.value ~= y.value then
      return x.value > y.value
    end
    return x.start < y.start
  end)
  for i = 1, math.min(5, #copy) do
    local u = copy[i]
    local word = text.slice(a.pair.source, u.start, u['end'])
    table.insert(lines, ('%-14s %8.4f %5.2f'):format(word, u.value, u.score))
    table.insert(hls, { #lines - 1, 0, #word, 'Heed' .. render.bucket(u.score) })
  end
  return lines, hls
end

return M

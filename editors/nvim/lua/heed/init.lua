-- Heed for Neovim: shade what the token under the cursor attends to, by weight and by norm.
-- The daemon (`heed serve`, protocol.md) does the work; this file keeps the analyses and the
-- settings, and turns commands into requests.
local config = require('heed.config')
local daemon = require('heed.daemon')
local text = require('heed.text')
local render = require('heed.render')
local pair = require('heed.pair')

local api = vim.api
local uv = vim.uv or vim.loop
local levels = vim.log.levels
local M = {}

M.ns = render.ns

local directions = { 'from', 'to', 'received' }
-- Weight versus norm: the method an info window sets beside the current one. The follow-ups
-- (ALTI, value zeroing, GlobEnc) are contrasted with the attention weights they replace.
local other_of = {
  attention = 'norm-summed',
  ['norm-summed'] = 'attention',
  norm = 'attention',
  ['attn-res'] = 'attention',
  ['attn-res-ln'] = 'attention',
  rollout = 'norm-rollout',
  ['norm-rollout'] = 'rollout',
  alti = 'attention',
  ['value-zeroing'] = 'attention',
  ['alti-rollout'] = 'rollout',
  globenc = 'rollout',
}
-- Products over all layers (protocol.md section 5.5): the layer setting does not apply.
local rollouts = { rollout = true, ['norm-rollout'] = true, ['alti-rollout'] = true, globenc = true }
M.rollouts = rollouts

--- What each highlight method is, in a few words (`:HeedMethod` says it; protocol.md section 7
--- defines them). A method the daemon adds later is shown by its name alone.
M.method_names = {
  ['norm-summed'] = 'norm of the summed heads (Attn-N)',
  attention = 'attention weights, mean over heads',
  ['attn-res-ln'] = 'norm with residual and LayerNorm (AttnResLn-N)',
  ['attn-res'] = 'norm with residual (AttnRes-N)',
  norm = 'norm, mean over heads',
  rollout = 'attention rollout',
  ['norm-rollout'] = 'norm rollout',
  alti = 'ALTI (Ferrando et al. 2022)',
  ['alti-rollout'] = 'ALTI rolled out over the layers',
  globenc = 'GlobEnc (Modarressi et al. 2022)',
  ['value-zeroing'] = 'value zeroing (Mohebbi et al. 2023; slow: one re-run per token)',
}

--- A method's name with its description, e.g. `alti (ALTI (Ferrando et al. 2022))`.
function M.describe_method(name)
  local d = M.method_names[name]
  return d and ('%s (%s)'):format(name, d) or name
end

-- What a method is called while it is being computed ("computing value zeroing…").
local busy_names = { ['value-zeroing'] = 'value zeroing', alti = 'ALTI', ['alti-rollout'] = 'ALTI rollout',
  globenc = 'GlobEnc' }

--- The current settings (model, method, layer, direction, granularity).
M.state = {}
--- bufnr -> analysis {buf, span, text, result, off, seq, req, timer}
M.analyses = {}

local function load_state()
  local o = config.options
  M.state.model = o.model
  M.state.method = o.method
  M.state.layer = o.layer
  M.state.direction = o.direction
  M.state.granularity = o.granularity
  M.state.cross_method = nil -- translation-pair mode: the first of the model's crossMethods
  M.state.decoder_layer = 'last' -- translation-pair mode, line 2: 0...decoderLayers-1 or 'last'
end
load_state()

local function echo(msg)
  api.nvim_echo({ { 'Heed: ' .. msg } }, false, {})
end

local function redraw()
  pcall(vim.cmd, 'redrawstatus')
end

local function each_analysis(f)
  for _, a in pairs(M.analyses) do
    f(a)
  end
end

--- Ends the analysis of a buffer: its marks, its timer, its autocommands.
function M.clear(buf)
  buf = (buf == nil or buf == 0) and api.nvim_get_current_buf() or buf
  local a = M.analyses[buf]
  M.analyses[buf] = nil
  if a then
    a.busy = nil
    daemon.cancel(a.req)
    if a.timer then
      a.timer:stop()
      a.timer:close()
      a.timer = nil
    end
    pcall(api.nvim_del_augroup_by_name, 'heed_buffer_' .. buf)
  end
  render.clear(buf)
  redraw()
end

-- The byte offset of the cursor in an analysis' text: the cursor of the current window when
-- it shows the buffer, else the last focus. Outside the span: nil, or clamped to its ends.
local function cursor_offset(a, clamp)
  local win = api.nvim_get_current_win()
  if api.nvim_win_get_buf(win) ~= a.buf then
    return a.off
  end
  local cur = api.nvim_win_get_cursor(win)
  local row, col = cur[1] - 1, cur[2]
  local off = text.to_offset(a.span, row, col)
  if off == nil and clamp then
    local s = a.span
    if row < s.srow or (row == s.srow and col < s.scol) then
      off = 0
    else
      off = s.len
    end
  end
  return off
end

local function check_settings(info)
  local methods = info.methods or {}
  if not vim.tbl_contains(methods, M.state.method) then
    if #methods == 0 then
      return ('%s supports no highlight method'):format(info.id or M.state.model)
    end
    daemon.notify(('%s does not support %s; using %s'):format(info.id or M.state.model, M.state.method, methods[1]),
      levels.WARN)
    M.state.method = methods[1]
  end
  if type(M.state.layer) == 'number' and info.layers and M.state.layer >= info.layers then
    daemon.notify(('%s has layers 0 to %d; using the last'):format(info.id or M.state.model, info.layers - 1),
      levels.WARN)
    M.state.layer = 'last'
  end
end

-- What the daemon's cache keys a highlight's matrix by, beside the text (protocol.md section 8).
local function basis_of()
  return table.concat({ M.state.model, M.state.method, tostring(M.state.layer), M.state.granularity }, '\0')
end

--- Requests the highlight for the cursor (or `opts.offset`) and draws it.
--- opts.clamp: a cursor outside the span counts as its nearest end; opts.force: ask even when
--- the cursor is still on the focus.
function M.refresh(a, opts)
  opts = opts or {}
  if M.analyses[a.buf] ~= a then
    return
  end
  local off = opts.offset or cursor_offset(a, opts.clamp)
  if off == nil and not a.pair then
    return -- the cursor left the span: keep what is shown (a pair: see below)
  end
  local f = a.result and a.result.focus
  if not opts.force and off and f and off >= f.start and off < f['end'] and a.off == off then
    return
  end
  -- A slow request (value zeroing) that computes what this one needs (same model, method,
  -- layer, granularity and text; the daemon caches it for every focus) is not cancelled by a
  -- cursor move, which would start the computation again: when it lands, the cursor's focus is
  -- asked for and answered from the cache.
  if not opts.force and a.req and a.busy and a.req_basis == basis_of() then
    a.after = true
    return
  end
  a.after = nil
  daemon.cancel(a.req) -- a newer request replaces the older one
  a.req = nil
  a.busy = nil -- the new request says so itself when it is slow
  a.seq = a.seq + 1
  local seq = a.seq
  local function current()
    return M.analyses[a.buf] == a and a.seq == seq
  end
  daemon.model(M.state.model, function(err, info)
    if not current() then
      return
    end
    if err then
      daemon.report(err)
      if not err.exited then
        M.clear(a.buf)
      end
      return
    end
    local problem = check_settings(info)
    if problem then
      daemon.notify(problem)
      M.clear(a.buf)
      return
    end
    local params, side
    if pair.is_pair(info) then
      -- An encoder-decoder model: line 1 is the source, line 2 the target (pair.lua).
      pair.prepare(a)
      local row = pair.cursor_row(a)
      local note
      if not opts.offset and row and row >= 2 then
        side, note = 'beyond', pair.BEYOND -- lines after the second are not part of the pair
      else
        off = opts.offset or cursor_offset(a, opts.clamp)
        if off == nil then
          return
        end
        params, side, note = pair.params(a, off, M.state, info)
      end
      if not params then -- nothing to shade here: say why, once per analysis
        a.pair_side, a.result = side, nil
        render.clear(a.buf)
        a.said = a.said or {}
        if not a.said[note] then
          a.said[note] = true
          echo(note)
        end
        redraw()
        return
      end
    else
      params = {
        model = M.state.model,
        text = a.text,
        focus = { start = off, ['end'] = off },
        method = M.state.method,
        layer = M.state.layer,
        direction = M.state.direction,
        granularity = M.state.granularity,
      }
    end
    a.pair_side = side
    a.req_basis = basis_of()
    a.req = daemon.request('heed/highlight', params, function(herr, result)
      if not current() then
        return
      end
      a.req = nil
      if a.busy then
        -- The slow computation is over (the echo area said it was running).
        echo(a.busy:gsub('^computing ', '') .. (herr and ' stopped' or ' done'))
        a.busy = nil
        redraw()
      end
      if herr then
        daemon.report(herr)
        if not herr.exited then
          M.clear(a.buf)
        end
        return
      end
      if not api.nvim_buf_is_valid(a.buf) then
        return
      end
      a.result, a.params, a.info, a.off = result, params, info, off
      a.drawn = seq
      if side then
        a.result = pair.to_span(a, result, side)
        pair.draw(a, a.result, side)
      else
        render.draw(a, result)
      end
      if result.window and not a.window_said then
        a.window_said = true
        local r1 = text.to_pos(a.span, result.window.start)
        local r2 = text.to_pos(a.span, result.window['end'])
        -- A decoder's window ends at the focus (its row sees only earlier tokens).
        local where = info.causal and 'ending at' or 'around'
        daemon.notify(('the text is longer than %s\'s %s tokens: only the window %s the cursor is analysed '
          .. '(lines %d-%d); the rest is dimmed'):format(info.id or M.state.model, tostring(info.maxTokens),
          where, r1 + 1, r2 + 1), levels.WARN)
      end
      redraw()
      if a.on_result then
        a.on_result(result)
      end
      if a.after then -- the cursor moved while a slow request ran: its focus now
        a.after = nil
        M.refresh(a)
      end
    end)
    -- Value zeroing (and, on long texts, the other follow-ups) can take seconds: the request
    -- runs in the background, and when it has not answered after `busy_delay` ms the echo area
    -- and the statusline say what is being computed. (heed/highlight takes no workDoneToken,
    -- protocol.md section 6, so there is no percentage to show.)
    local delay = config.options.busy_delay
    if delay and delay >= 0 then
      vim.defer_fn(function()
        if current() and a.req ~= nil and not a.busy then
          a.busy = 'computing ' .. (busy_names[params.method] or params.method)
          echo(a.busy .. '…')
          redraw()
        end
      end, delay)
    end
  end)
end

local function refresh_all()
  each_analysis(function(a)
    M.refresh(a, { force = true })
  end)
  redraw()
end

-- Keeps an analysis honest about its buffer: an edit inside the span's lines clears it; an
-- edit above it moves it (the extmarks move by themselves); the buffer going away drops it.
local attached = {}
local function attach(buf)
  if attached[buf] then
    return
  end
  attached[buf] = true
  api.nvim_buf_attach(buf, false, {
    on_lines = function(_, b, _, first, last, new_last)
      local a = M.analyses[b]
      if not a then
        attached[b] = nil
        return true -- detach
      end
      local s = a.span
      if last <= s.srow then
        local delta = new_last - last
        s.srow, s.erow = s.srow + delta, s.erow + delta
      elseif first <= s.erow then
        a.stale = true
        vim.schedule(function()
          if M.analyses[b] == a then
            M.clear(b)
          end
        end)
      end
    end,
    on_reload = function(_, b)
      vim.schedule(function()
        M.clear(b)
      end)
    end,
    on_detach = function(_, b)
      attached[b] = nil
      local a = M.analyses[b]
      vim.schedule(function()
        if a and M.analyses[b] == a then
          M.clear(b)
        end
      end)
    end,
  })
end

local function follow(a)
  local group = api.nvim_create_augroup('heed_buffer_' .. a.buf, { clear = true })
  api.nvim_create_autocmd({ 'CursorMoved', 'CursorMovedI' }, {
    group = group,
    buffer = a.buf,
    callback = function()
      if not config.options.follow or M.analyses[a.buf] ~= a or a.stale then
        return
      end
      a.timer:stop()
      a.timer:start(config.options.debounce, 0, vim.schedule_wrap(function()
        if M.analyses[a.buf] == a and not a.stale and config.options.follow then
          M.refresh(a)
        end
      end))
    end,
  })
end

--- Analyses a span of the current buffer: rows are 0-based, columns are byte columns, the end
--- column exclusive. :HeedAnalyze computes the span from the selection or the paragraph.
function M.analyze_span(srow, scol, erow, ecol, opts)
  local buf = api.nvim_get_current_buf()
  local t, starts = text.span_text(buf, srow, scol, erow, ecol)
  M.clear(buf)
  local a = {
    buf = buf,
    text = t,
    span = { srow = srow, scol = scol, erow = erow, ecol = ecol, starts = starts, len = #t },
    seq = 0,
    timer = uv.new_timer(),
  }
  if opts and opts.on_result then
    a.on_result = opts.on_result
  end
  M.analyses[buf] = a
  attach(buf)
  follow(a)
  M.refresh(a, { clamp = true, force = true })
  return a
end

local function with_model(f)
  daemon.model(M.state.model, function(err, info)
    if err then
      daemon.report(err)
      return
    end
    f(info)
  end)
end

--- :HeedAnalyze. With a range: that selection (characterwise when the last visual selection
--- was, and covers exactly these lines), else whole lines; without one: the paragraph.
function M.analyze(cmd)
  local buf = api.nvim_get_current_buf()
  local function line(r)
    return api.nvim_buf_get_lines(buf, r, r + 1, false)[1] or ''
  end
  local srow, scol, erow, ecol
  if cmd and cmd.range and cmd.range > 0 then
    srow, erow = cmd.line1 - 1, cmd.line2 - 1
    local vs = api.nvim_buf_get_mark(buf, '<')
    local ve = api.nvim_buf_get_mark(buf, '>')
    if vim.fn.visualmode() == 'v' and vs[1] - 1 == srow and ve[1] - 1 == erow then
      local last = line(erow)
      scol = math.min(vs[2], #line(srow))
      ecol = math.min(#last, ve[2] + text.char_len(last, math.min(ve[2], #last)))
    else
      scol, ecol = 0, #line(erow)
    end
  else
    local row = api.nvim_win_get_cursor(0)[1] - 1
    srow, erow = text.paragraph(buf, row)
    if not srow then
      -- An empty line 2 (or a blank line after it) of a translation pair: pair mode analyses
      -- lines 1 and 2 wherever the cursor is (refresh says why nothing is shaded).
      local function otherwise(info)
        if pair.is_pair(info) then
          return M.analyze_span(0, 0, 0, #line(0))
        end
        daemon.notify('the cursor is not in a paragraph: put it on text or select some')
      end
      local info = daemon.info(M.state.model)
      if info then
        return otherwise(info)
      end
      return with_model(otherwise)
    end
    scol, ecol = 0, #line(erow)
  end
  return M.analyze_span(srow, scol, erow, ecol)
end

--- The visual-mode key: the selection, with the focus where the cursor is (the end the
--- selection was extended to), which a typed :'<,'>HeedAnalyze cannot know (leaving Visual
--- mode for the command line puts the cursor at the start).
function M.analyze_visual()
  api.nvim_feedkeys(api.nvim_replace_termcodes('<Esc>', true, false, true), 'nx', false)
  local s = api.nvim_buf_get_mark(0, '<')
  local e = api.nvim_buf_get_mark(0, '>')
  return M.analyze({ range = 2, line1 = s[1], line2 = e[1] })
end


--- The element after `current` in `list` (the first when `current` is not in it).
local function cycle(list, current)
  local i = 0
  for k, v in ipairs(list) do
    if v == current then
      i = k
    end
  end
  return list[i % #list + 1]
end

--- The layer `arg` ('next', 'prev', 'last' or a number) chooses among `n` (`cur` the one in
--- use), or nil after telling the user why not; `what` names them ('layer', 'decoder layer').
local function choose_layer(arg, cur, n, what, id)
  if arg == 'next' then
    return (cur + 1) % n
  elseif arg == 'prev' then
    return (cur - 1) % n
  elseif arg == 'last' then
    return 'last'
  end
  local new = tonumber(arg)
  if new == nil or new ~= math.floor(new) or new < 0 or new >= n then
    daemon.notify(('%s must be 0 to %d (%s has %d %ss), next, prev or last; got %q'):format(
      what, n - 1, id, n, what, tostring(arg)))
    return nil
  end
  return new
end
--- :HeedMethod [name]: set the method, or cycle through the model's `methods`.
function M.method(name)
  with_model(function(info)
    local a = M.analyses[api.nvim_get_current_buf()]
    if pair.is_pair(info) and a and a.pair_side == 'target' then
      return M.cross_method(name, info)
    end
    local methods = info.methods or {}
    if name == nil or name == '' then
      if #methods == 0 then
        daemon.notify(('%s supports no highlight method'):format(info.id))
        return
      end
      name = cycle(methods, M.state.method)
    elseif not vim.tbl_contains(methods, name) then
      daemon.notify(('%s does not support the method %q; it supports %s'):format(
        info.id, name, table.concat(methods, ', ')))
      return
    end
    M.state.method = name
    echo('method ' .. M.describe_method(name) .. (rollouts[name] and ', all layers' or ''))
    refresh_all()
  end)
end

--- :HeedMethod with the cursor on the target line of a translation pair: set, or cycle
--- through, the model's `crossMethods` (norm-summed -> attention -> norm).
function M.cross_method(name, info)
  local methods = pair.cross_methods(info)
  if #methods == 0 then
    daemon.notify(('%s lists no cross-attention method'):format(info.id))
    return
  end
  if name == nil or name == '' then
    name = cycle(methods, pair.cross_method(M.state, info))
  elseif not vim.tbl_contains(methods, name) then
    daemon.notify(('%s does not support the cross-attention method %q; it supports %s'):format(
      info.id, name, table.concat(methods, ', ')))
    return
  end
  M.state.cross_method = name
  echo('cross-attention method ' .. M.describe_method(name))
  refresh_all()
end

--- The layer in use: a number, 'last' resolved when the model is known.
function M.current_layer(info)
  if M.state.layer == 'last' then
    info = info or daemon.info(M.state.model)
    return info and info.layers and info.layers - 1 or nil
  end
  return M.state.layer
end

--- :HeedLayer {n|next|prev|last}. With the cursor on line 2 of a translation pair: the
--- decoder's layers (ModelInfo `decoderLayers`), kept apart in `state.decoder_layer`.
function M.layer(arg)
  with_model(function(info)
    local a = M.analyses[api.nvim_get_current_buf()]
    if pair.is_pair(info) and a and a.pair_side == 'target' then
      return M.decoder_layer(arg, info)
    end
    local n = info.layers or 0
    local new = choose_layer(arg, M.current_layer(info) or (n - 1), n, 'layer', info.id)
    if new == nil then
      return
    end
    M.state.layer = new
    echo(('layer %s%s'):format(new == 'last' and ('last (' .. (n - 1) .. ')') or tostring(new),
      rollouts[M.state.method] and (' (' .. M.state.method .. ' uses all layers)') or ''))
    refresh_all()
  end)
end

--- :HeedLayer with the cursor on the target line of a translation pair: set, or step through,
--- the decoder's layers 0...decoderLayers-1.
function M.decoder_layer(arg, info)
  local n = tonumber(info.decoderLayers) or 0
  if n < 1 then
    daemon.notify(('%s lists no decoder layers'):format(info.id))
    return
  end
  local new = choose_layer(arg, pair.decoder_layer(M.state, info) or (n - 1), n, 'decoder layer', info.id)
  if new == nil then
    return
  end
  M.state.decoder_layer = new
  echo(('decoder layer %s'):format(new == 'last' and ('last (' .. (n - 1) .. ')') or tostring(new)))
  refresh_all()
end

--- :HeedDirection [from|to|received]: set, or cycle.
function M.direction(arg)
  if arg == nil or arg == '' then
    arg = cycle(directions, M.state.direction)
  elseif not vim.tbl_contains(directions, arg) then
    daemon.notify(('direction must be from, to or received; got %q'):format(arg))
    return
  end
  M.state.direction = arg
  echo('direction ' .. arg)
  refresh_all()
end

--- :HeedModel [id]: set the model, or pick one from heed/models.
function M.model(id)
  local function use(m)
    daemon.model(m, function(err)
      if err then
        daemon.report(err)
        return
      end
      M.state.model = m
      echo('model ' .. m)
      refresh_all()
    end)
  end
  if id and id ~= '' then
    return use(id)
  end
  daemon.request('heed/models', vim.empty_dict(), function(err, result)
    if err then
      return daemon.report(err)
    end
    local ids = {}
    for _, mi in ipairs(result.models or {}) do
      table.insert(ids, mi.id)
    end
    vim.ui.select(ids, { prompt = 'Heed model' }, function(choice)
      if choice then
        use(choice)
      end
    end)
  end)
end

--- :HeedFollow [on|off]: whether the focus follows the cursor.
function M.follow(arg)
  if arg == 'on' then
    config.options.follow = true
  elseif arg == 'off' then
    config.options.follow = false
  else
    config.options.follow = not config.options.follow
  end
  echo('follow the cursor ' .. (config.options.follow and 'on' or 'off'))
end

local function short_model(m)
  if m:find('/') and uv.fs_stat(m) then
    return vim.fn.fnamemodify(m:gsub('/+$', ''), ':t')
  end
  return m
end

--- A statusline component: model, method, layer, direction (and loading progress).
function M.statusline()
  local p = daemon.progress
  if p then
    local pct = p.percentage and (' %d%%%%'):format(p.percentage) or ''
    return ('Heed %s%s'):format(p.title, pct)
  end
  local a = M.analyses[api.nvim_get_current_buf()]
  local layer
  if rollouts[M.state.method] then
    layer = 'all layers'
  else
    local l = M.current_layer()
    layer = 'L' .. (l and tostring(l) or 'last')
  end
  local method, direction = M.state.method, M.state.direction
  if a and a.pair_side == 'target' then -- translation pair: the target's cross-attention
    method, direction = 'cross ' .. tostring(M.state.cross_method or ''), 'to source'
    local l = pair.decoder_layer(M.state, daemon.info(M.state.model))
    layer = a.result and a.result.layer and ('L' .. a.result.layer) or (l and ('L' .. l)) or 'Llast'
  end
  local s = ('Heed %s %s %s %s'):format(short_model(M.state.model), method, layer, direction)
  if a and a.result and a.result.window then
    s = s .. ' window'
  end
  if a and a.busy then
    s = s .. ' ' .. a.busy .. '…'
  end
  return s
end

-- Display helpers for the info window.
local function cell(s, width)
  s = s:gsub('\n', '↵'):gsub('%s', ' ') -- a line-feed token (a decoder's "Ċ") stays visible
  if vim.fn.strdisplaywidth(s) > width then
    while vim.fn.strdisplaywidth(s) > width - 1 do
      s = vim.fn.strcharpart(s, 0, vim.fn.strchars(s) - 1)
    end
    s = s .. '…'
  end
  return s .. string.rep(' ', width - vim.fn.strdisplaywidth(s))
end

-- The k strongest ranges, among those shaded (a decoder's tokens after a `from` focus have value
-- 0: they are not contributors).
local function top(ranges, k)
  local copy = vim.tbl_filter(render.shaded, ranges or {})
  table.sort(copy, function(x, y)
    if x.value ~= y.value then
      return x.value > y.value
    end
    return x.start < y.start
  end)
  local out = {}
  for i = 1, math.min(k, #copy) do
    out[i] = copy[i]
  end
  return out
end

--- The lines of the info window (and where to colour them): exposed for the tests.
function M.info_lines(a, other, other_result, other_err)
  local r = a.result
  local lines, hls = {}, {}
  local layer = r.layer ~= nil and ('layer ' .. r.layer) or 'all layers'
  table.insert(lines, ('Heed %s | %s | %s | %s'):format(short_model(M.state.model), r.method, layer, a.params.direction))
  table.insert(lines, 'focus  ' .. text.slice(a.text, r.focus.start, r.focus['end']))
  -- A model with a language-modelling head: the next tokens after the focus, most probable first.
  local predictions = other_result and other_result.predictions
  if type(predictions) == 'table' and #predictions > 0 then
    local parts = {}
    for _, p in ipairs(predictions) do
      table.insert(parts, ('"%s" %.1f%%'):format((tostring(p.text):gsub('\n', '↵')), 100 * p.probability))
    end
    table.insert(lines, 'next   ' .. table.concat(parts, '  '))
  end
  local off = cursor_offset(a, false)
  if off then
    for _, u in ipairs(r.ranges) do
      if off >= u.start and off < u['end'] then
        table.insert(lines, ('token  %s  value %.4f  score %.2f'):format(text.slice(a.text, u.start, u['end']),
          u.value, u.score))
        table.insert(hls, { #lines - 1, 7, 7 + u['end'] - u.start, 'Heed' .. render.bucket(u.score) })
      end
    end
  end
  table.insert(lines, '')
  local w = 26
  local head = cell('top 5 by ' .. r.method, w) .. '  '
  local other_head = other and ('top 5 by ' .. other) or 'no other method'
  table.insert(lines, head .. other_head)
  local columns = cell('token', 12) .. '   value score'
  table.insert(lines, columns .. '  ' .. (other and columns or ''))
  local left = top(r.ranges, 5)
  local right = other_result and top(other_result.ranges, 5) or {}
  for i = 1, 5 do
    local parts, line = {}, ''
    for side, list in ipairs({ left, right }) do
      local u = list[i]
      local s
      if u then
        local tok = cell(text.slice(a.text, u.start, u['end']), 12)
        s = ('%s %7.4f %5.2f'):format(tok, u.value, u.score)
        local bare = #(tok:gsub(' +$', '')) -- colour the token, not its padding
        table.insert(parts, { #line, #line + bare, 'Heed' .. render.bucket(u.score) })
      elseif side == 2 and i == 1 and other_err then
        s = other_err
      else
        s = ''
      end
      if side == 1 then
        s = cell(s, w) .. '  '
      end
      line = line .. s
    end
    if line:match('%S') then
      table.insert(lines, line)
      for _, p in ipairs(parts) do
        table.insert(hls, { #lines - 1, p[1], p[2], p[3] })
      end
    end
  end
  return lines, hls
end

--- :HeedInfo: a floating window with the focus, the token under the cursor (value and score),
--- the focus's top 5 by this method beside the top 5 by the other (weight vs norm), and, for a
--- model whose ModelInfo has `predicts: true` (a decoder), the 5 most probable next tokens.
function M.info(done)
  local a = M.analyses[api.nvim_get_current_buf()]
  if not a or not a.result then
    daemon.notify('nothing analysed here: :HeedAnalyze first', levels.WARN)
    return
  end
  local r, info = a.result, a.info or {}
  if a.pair and a.pair_side == 'target' then
    -- Translation pair, focus in the target: what it aligns to and the top 5 source units.
    local lines, hls = pair.info_lines(a, short_model(M.state.model))
    local fbuf, fwin = vim.lsp.util.open_floating_preview(lines, '', { border = 'rounded', focus_id = 'heed_info' })
    for _, h in ipairs(hls) do
      api.nvim_buf_set_extmark(fbuf, M.ns, h[1], h[2], { end_col = h[3], hl_group = h[4] })
    end
    M.info_window = fwin
    if done then
      done(lines, fwin)
    end
    return
  end
  local other = other_of[r.method]
  if other and not vim.tbl_contains(info.methods or {}, other) then
    other = nil
  end
  local function show(other_result, other_err)
    if M.analyses[a.buf] ~= a or a.result ~= r then
      return
    end
    local lines, hls = M.info_lines(a, other, other_result, other_err)
    -- Below the span (or above it, where the float goes when there is more room above), so
    -- that it never hides the shading it explains.
    local row = api.nvim_win_get_cursor(0)[1] - 1
    local above = vim.fn.winline() - 1
    local offset_y = above < vim.fn.winheight(0) - above and math.max(0, a.span.erow - row)
      or math.min(0, a.span.srow - row)
    local fbuf, fwin = vim.lsp.util.open_floating_preview(lines, '', {
      border = 'rounded',
      focus_id = 'heed_info',
      offset_y = offset_y,
    })
    for _, h in ipairs(hls) do
      api.nvim_buf_set_extmark(fbuf, M.ns, h[1], h[2], { end_col = h[3], hl_group = h[4] })
    end
    M.info_window = fwin
    if done then
      done(lines, fwin)
    end
  end
  if not other then
    return show(nil, 'no other method for this model')
  end
  local params = vim.deepcopy(a.params)
  params.method, params.focus, params.topK = other, r.focus, 5
  if info.predicts == true then
    params.predict = 5 -- the next tokens after the focus (heed/highlight's `predict`)
  end
  daemon.request('heed/highlight', params, function(err, result)
    if err then
      return show(nil, daemon.describe(err))
    end
    show(result)
  end)
end

local function map_keys()
  local keys = config.options.keys
  if not keys then
    return
  end
  local function map(mode, lhs, rhs, desc)
    if lhs then
      vim.keymap.set(mode, lhs, rhs, { silent = true, desc = desc })
    end
  end
  map('n', keys.analyze, '<Cmd>HeedAnalyze<CR>', 'Heed: analyse the paragraph')
  map('x', keys.analyze, function()
    M.analyze_visual()
  end, 'Heed: analyse the selection (the focus at the cursor)')
  map('n', keys.method, '<Cmd>HeedMethod<CR>', 'Heed: next method (weight / norm)')
  map('n', keys.layer_next, '<Cmd>HeedLayer next<CR>', 'Heed: next layer')
  map('n', keys.layer_prev, '<Cmd>HeedLayer prev<CR>', 'Heed: previous layer')
  map('n', keys.direction, '<Cmd>HeedDirection<CR>', 'Heed: next direction')
  map('n', keys.info, '<Cmd>HeedInfo<CR>', 'Heed: details of the focus')
  map('n', keys.clear, '<Cmd>HeedClear<CR>', 'Heed: clear')
end

local function validate(o)
  local problems = {}
  if o.direction and not vim.tbl_contains(directions, o.direction) then
    table.insert(problems, ('direction must be from, to or received, not %q'):format(tostring(o.direction)))
  end
  if o.layer ~= nil and o.layer ~= 'last' and (type(o.layer) ~= 'number' or o.layer < 0) then
    table.insert(problems, ('layer must be a 0-based number or "last", not %q'):format(tostring(o.layer)))
  end
  if o.granularity and o.granularity ~= 'token' and o.granularity ~= 'word' then
    table.insert(problems, ('granularity must be token or word, not %q'):format(tostring(o.granularity)))
  end
  return problems
end

--- require('heed').setup({ cmd = { '/path/to/heed', 'serve' }, model, method, layer, direction, ... })
function M.setup(opts)
  opts = opts or {}
  local problems = validate(opts)
  if #problems > 0 then
    daemon.notify('setup: ' .. table.concat(problems, '; '))
    for _, k in ipairs({ 'direction', 'layer', 'granularity' }) do
      if #validate({ [k] = opts[k] }) > 0 then
        opts[k] = nil
      end
    end
  end
  local cmd_changed = opts.cmd ~= nil and daemon.running()
  config.set(opts)
  load_state()
  render.define()
  map_keys()
  if cmd_changed then
    daemon.stop(1000) -- a new command line: the next use starts it
  end
end

-- After an automatic restart, draw again what was shown.
daemon.on_restart = function()
  each_analysis(function(a)
    a.result = nil
    M.refresh(a, { force = true })
  end)
end
-- After the daemon died for good, nothing may ask for it on its own.
daemon.on_dead = function()
  each_analysis(function(a)
    M.clear(a.buf)
  end)
end

render.define()

return M

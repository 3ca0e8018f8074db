-- Settings: the defaults, merged with what require('heed').setup() is given.
local M = {}

local function default_cmd()
  local exe = vim.env.HEED_EXECUTABLE
  if exe == nil or exe == '' then
    exe = 'heed'
  end
  return { exe, 'serve' }
end

M.defaults = {
  -- The full command line of the daemon; nil: $HEED_EXECUTABLE, else `heed` on PATH.
  cmd = nil,
  -- Model id: a catalog name (minilm), a model directory, or a Hugging Face repo id.
  model = 'minilm',
  -- Highlight method; must be one the model lists in its `methods`.
  method = 'norm-summed',
  -- 0-based layer, or 'last'.
  layer = 'last',
  -- 'from' (what the focus attends to), 'to' (who attends to it), 'received'.
  direction = 'from',
  -- 'token' or 'word'.
  granularity = 'token',
  -- Milliseconds between the last cursor move and the request.
  debounce = 50,
  -- Milliseconds a highlight may take before the echo area and the statusline say that it is
  -- being computed ("computing value zeroing…"); a negative number or false: never.
  busy_delay = 300,
  -- Follow the cursor: the token under it becomes the focus as it moves.
  follow = true,
  -- Eight colours, lowest bucket first: { {bg = '#rrggbb', fg = '#rrggbb', ctermbg = n, ctermfg = n}, ... }.
  -- nil: Heed's own scale for the current 'background'. Colour schemes may define Heed0..Heed7.
  colors = nil,
  -- Normal-mode keys; false for none, or a table overriding some of them (false disables one).
  keys = {
    analyze = '<leader>ha',
    method = '<leader>hm',
    layer_next = '<leader>h]',
    layer_prev = '<leader>h[',
    direction = '<leader>hd',
    info = '<leader>hi',
    clear = '<leader>hc',
  },
}

M.options = vim.deepcopy(M.defaults)
M.options.cmd = default_cmd()

function M.set(opts)
  opts = opts or {}
  local o = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  if opts.keys == false then
    o.keys = false
  end
  if opts.cmd ~= nil then
    o.cmd = opts.cmd -- a list is taken whole, never merged with the default
  end
  if type(o.cmd) == 'string' then
    o.cmd = { o.cmd, 'serve' }
  end
  if o.cmd == nil then
    o.cmd = default_cmd()
  end
  M.options = o
  return o
end

return M

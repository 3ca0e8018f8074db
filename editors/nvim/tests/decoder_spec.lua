-- A decoder, unchanged: :HeedAnalyze on smollm2 (SmolLM2-135M-Instruct, GGUF; fetched into Heed's
-- cache on first use). Its ModelInfo lists the methods of a pre-norm model (no attn-res-ln), the
-- focus of a cursor is the token before it (protocol.md section 5.6), and the marks are the
-- daemon's own answer (heed analyze --json).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helper.lua')
local api = vim.api
local heed = H.heed

local TEXT = 'The capital of France is'

H.run('decoder', {
  { 'smollm2: the token before the cursor is the focus, marks as the daemon answers', function()
    heed.setup({ model = 'smollm2', keys = false })
    local buf = H.buffer({ TEXT })
    -- The cursor on the space before "France": " France" (14-21) starts at it, so the token
    -- before the cursor is " of" (11-14); an encoder would take " France".
    api.nvim_win_set_cursor(0, { 1, 14 })
    vim.cmd('HeedAnalyze')
    H.settle(buf)
    local info = H.daemon.info('smollm2')
    H.eq(info.causal, true, 'causal')
    H.eq(info.predicts, true, 'predicts')
    H.eq(info.methods, { 'norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout' }, "smollm2's methods")
    local units, focus = H.marks(buf)
    local cursor = H.off32({ TEXT }, 0, api.nvim_win_get_cursor(0)[2])
    local cli = H.cli(TEXT, cursor, 'norm-summed', 'last', 'from', nil, 'smollm2')
    H.eq(cli.focus, { start = 11, ['end'] = 14 }, 'the daemon takes " of"')
    local want_units, want_focus = H.expect({ TEXT }, cli)
    H.eq(units, want_units, 'unit marks')
    H.eq(focus, want_focus, 'focus mark')
    H.eq(heed.statusline(), 'Heed smollm2 norm-summed L29 from', 'statusline')
  end },

  { ':HeedMethod cycles through the methods smollm2 lists', function()
    local seen = { heed.state.method }
    for _ = 1, 6 do
      local before = heed.state.method
      vim.cmd('HeedMethod')
      H.wait(function() return heed.state.method ~= before end, 'the method to change')
      table.insert(seen, heed.state.method)
    end
    H.eq(seen, { 'norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'norm-summed' }, 'cycle')
    H.eq(H.notes_at(vim.log.levels.ERROR), {}, 'no errors')
  end },
})

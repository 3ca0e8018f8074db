-- Heed: commands and the exit hook. Everything else loads on first use (lua/heed).
if vim.g.loaded_heed or vim.fn.has('nvim-0.7') ~= 1 then
  return
end
vim.g.loaded_heed = 1

local function heed()
  return require('heed')
end

local command = vim.api.nvim_create_user_command

local function methods_complete()
  local info = package.loaded['heed.daemon'] and require('heed.daemon').info(heed().state.model)
  return info and info.methods
    or { 'norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti',
      'alti-rollout', 'globenc', 'value-zeroing' }
end

command('HeedAnalyze', function(c)
  heed().analyze(c)
end, { range = true, desc = 'Heed: analyse the selection (or the paragraph) and shade what the cursor attends to' })

command('HeedMethod', function(c)
  heed().method(c.args)
end, { nargs = '?', complete = methods_complete, desc = 'Heed: set the method, or cycle' })

command('HeedLayer', function(c)
  heed().layer(c.args)
end, {
  nargs = 1,
  complete = function()
    return { 'next', 'prev', 'last' }
  end,
  desc = 'Heed: layer n (0-based), next, prev or last',
})

command('HeedDirection', function(c)
  heed().direction(c.args)
end, {
  nargs = '?',
  complete = function()
    return { 'from', 'to', 'received' }
  end,
  desc = 'Heed: from, to or received, or cycle',
})

command('HeedModel', function(c)
  heed().model(c.args)
end, { nargs = '?', desc = 'Heed: set the model, or pick one' })

command('HeedFollow', function(c)
  heed().follow(c.args)
end, {
  nargs = '?',
  complete = function()
    return { 'on', 'off' }
  end,
  desc = 'Heed: whether the focus follows the cursor',
})

command('HeedClear', function()
  heed().clear()
end, { desc = 'Heed: clear the shading' })

command('HeedInfo', function()
  heed().info()
end, { desc = 'Heed: details of the focus in a floating window' })

local group = vim.api.nvim_create_augroup('heed', { clear = true })
-- shutdown + exit, so the daemon never outlives Neovim.
vim.api.nvim_create_autocmd('VimLeavePre', {
  group = group,
  callback = function()
    if package.loaded['heed.daemon'] then
      require('heed.daemon').stop(1000)
    end
  end,
})
vim.api.nvim_create_autocmd({ 'ColorScheme', 'OptionSet' }, {
  group = group,
  pattern = { '*' },
  callback = function(ev)
    if ev.event == 'OptionSet' and ev.match ~= 'background' then
      return
    end
    if package.loaded['heed.render'] then
      require('heed.render').define()
    end
  end,
})

-- wrk scenario: see common.lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
  bench_init()
end

function request()
  return search_request()
end

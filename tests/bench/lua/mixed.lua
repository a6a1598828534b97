-- wrk scenario: a shop's mix per 15 requests: browse a product 10, search 3, order 1, my orders 1.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
  bench_init()
end

function request()
  counter = counter + 1
  local slot = counter % 15
  if slot < 10 then
    return product_request()
  elseif slot < 13 then
    return search_request()
  elseif slot == 13 then
    return order_request()
  end
  return my_orders_request()
end

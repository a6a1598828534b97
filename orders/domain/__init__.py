"""The order domain, without I/O: the `Order` aggregate (order.py) decides every change of an
order and returns it (change.py), with the rules of its shipments (shipment.py) and returns
(returns.py). orders/repository.py loads and writes them; orders/recording.py publishes."""

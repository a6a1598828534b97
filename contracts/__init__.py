"""The wire between the services and the gateway: RPC request and response schemas (one module
per service), event payload schemas (`events`), and the product cache entry format
(`product_cache`). Services and the gateway import these; this package imports only plumbing."""

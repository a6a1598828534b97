"""The wire between the services and the gateway: RPC request and response schemas (one module
per service), event payload schemas (`events`), one declaration per operation (`operation`,
`<service>_operations`, all of them in `declarations`) and the typed RPC clients generated from
them (`clients`). Services and the gateway import these; this package imports only wire."""

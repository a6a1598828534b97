"""What every OMS service and the gateway share: config, errors, database and Redis
providers, request-id logging, pagination, money and actor checks."""

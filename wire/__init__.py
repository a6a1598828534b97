"""What the wire needs, below contracts: typed errors, money, validation, pagination and access
rules. It imports nothing of this project; contracts build on it, and the runtime (plumbing)
and the services on both."""

"""GraphQL at /graphql (strawberry): the schema, its limits, and the HTTP view with GraphiQL."""

"""Print the HTTP routes as a Markdown table, from the declarations in contracts:
`python -m scripts.route_table` (the README's and the docs' route table)."""

from contracts.declarations import route_table

if __name__ == "__main__":
    print(route_table(), end="")

"""The load generator for `make bench` (issue 5): not collected by pytest (no test_*.py here)."""

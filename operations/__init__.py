"""Operator tools: the cross-service invariant check and the dead-letter CLI.

    make check-invariants            python -m operations.invariants [--grace 30] [--json]
    make dead-letters                python -m operations.dead_letters list [SERVICE]
"""

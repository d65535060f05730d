"""Mutation pins for judging/gate.py: small cases a reader can check by hand (bench/MUTATION.md)."""

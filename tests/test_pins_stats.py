"""Mutation pins for judging/stats.py: small cases a reader can check by hand (bench/MUTATION.md)."""

"""Mutation pins for judging/judge.py: small cases a reader can check by hand (bench/MUTATION.md)."""

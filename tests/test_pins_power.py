"""Mutation pins for judging/power.py and family.py: small cases a reader can check by hand (bench/MUTATION.md)."""

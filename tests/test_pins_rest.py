"""Mutation pins for judging/thresholds.py, metrics.py, circular.py and verdicts.py: small cases a reader can check by hand (bench/MUTATION.md)."""

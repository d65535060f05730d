"""giebench: a pytest gate for LLM releases on GIEBench (group-identity empathy)."""

__version__ = "0.1.0"

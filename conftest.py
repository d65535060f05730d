"""Registers the giebench pytest plugin for every run started in this repository."""

pytest_plugins = ["giebench_fixtures.plugin"]

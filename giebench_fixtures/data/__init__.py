"""Stage 1, data: the items, where they come from (sample, release, a folder) and how they are audited."""

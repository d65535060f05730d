"""Stage 4, recording: answers kept as syrupy snapshots, replayed offline, imported from result files."""

"""Stage 2, asking: prompts to a model (or a baseline), replies classified, cached and paced."""

"""Stage 3, judging: verdicts read from answers, the statistics and the gate's rules."""

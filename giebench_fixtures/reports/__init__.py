"""Stage 5, reports: the JSON, Markdown, CSV and HTML reports, comparisons, the leaderboard and the plan."""

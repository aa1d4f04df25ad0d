"""Automation: jobs over the graph, operator and privacy jobs, schedules and sensors; `definitions.defs` is what the
code location merges."""

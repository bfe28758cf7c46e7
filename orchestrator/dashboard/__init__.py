"""Showing a run: rich Live on a terminal, plain timestamped lines elsewhere, JSON lines for tools.

Every view is a sink of the supervisor's events and keeps no state of its own that the
run folder does not also record (metrics.jsonl, status.json).
"""

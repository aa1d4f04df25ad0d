"""Fortnox sink: assets that write the delta tables to Fortnox exactly once (see docs/fortnox-sink.md)."""

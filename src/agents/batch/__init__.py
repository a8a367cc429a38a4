"""Batch jobs Railway cron runs: nightly, incremental (every 4 h) and the monthly retrain."""

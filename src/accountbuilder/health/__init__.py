"""Exchange health (SPEC E2, F1-F3, F5): REST budget, WS health, latency and reconcile hysteresis.

Pure trackers fed with integer UTC milliseconds; the runner and the live adapter own the clock.
"""

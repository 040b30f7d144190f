"""Execution rules (SPEC G): order specs, stop debounce, maker timeouts, fee checks. Pure."""

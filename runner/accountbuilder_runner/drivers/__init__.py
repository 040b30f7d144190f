"""Drivers: run the core against a simulated or live exchange."""

"""The exchange port (the one seam between the core and any exchange) and its implementations."""

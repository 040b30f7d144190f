"""Test doubles for the shell: a fake Bybit V5 server that the real ccxt can talk to."""

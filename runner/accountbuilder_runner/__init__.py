"""The thin runner: CLI and the live/paper/backtest drivers."""

"""Market data: candle files, indicators, and the view the core reads."""

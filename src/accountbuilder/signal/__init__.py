"""Entry signals: the grid signal, the ``SignalSource`` protocol, and G1 ids."""

"""``accountbuilder sweep``: many backtests (start dates × start equities, or Monte Carlo paths)
on a local process pool or Ray, and the answer across them. docs/sweep.md explains the output.

``schedule`` plans the runs, ``worker`` runs one, ``local`` / ``ray_engine`` run many,
``rows`` / ``aggregate`` / ``page`` write ``sweep.csv`` / ``sweep.json`` / ``sweep.html``,
``sweeper`` ties them together, ``montecarlo`` builds the resampled paths.
"""

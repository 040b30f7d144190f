"""``accountbuilder sweep --engine ray`` with Ray started locally: the candles go to the object
store once, and the rows are the local engine's, byte for byte. Needs the ``ray`` extra."""

from __future__ import annotations

import numpy as np
import pytest

from accountbuilder_runner.cli import main

ray = pytest.importorskip("ray")

HOURLY = "btcusd_1h_2017-08_2024-07.csv.gz"
TINY = ["--every", "month", "--months", "1", "--from", "2021-01-01", "--to", "2021-04-30"]


def sweep(data, out, engine: str) -> int:
    args = ["sweep", "--data", str(data), *TINY, "--engine", engine, "--workers", "2"]
    return main([*args, "--out", str(out), "--quiet", "--no-plot"])


def test_ray_in_local_mode_gives_the_local_engines_rows(shared_data, tmp_path):
    assert sweep(shared_data / HOURLY, tmp_path / "local", "local") == 0
    assert sweep(shared_data / HOURLY, tmp_path / "ray", "ray") == 0

    local, remote = ((tmp_path / d / "sweep.csv").read_bytes() for d in ("local", "ray"))
    assert local == remote and local.count(b"\n") == 1 + 4
    assert not ray.is_initialized()  # the sweep shut down the Ray it started


def test_ray_engine_puts_the_candles_in_the_object_store_once(shared_data, tmp_path):
    from accountbuilder.marketdata.candles import load_candles
    from accountbuilder_runner.sweep.ray_engine import RayEngine

    payload = {HOURLY: load_candles(shared_data / HOURLY)}
    engine = RayEngine(1, payload, str(tmp_path), None)
    try:
        # one object in the store holds the candles; the tasks get its reference, and each
        # read maps the same shared memory (two reads share their buffers: nothing is copied)
        assert isinstance(engine.data, ray.ObjectRef)
        first, second = ray.get(engine.data), ray.get(engine.data)
        assert first[HOURLY].close.size == payload[HOURLY].close.size
        assert np.shares_memory(first[HOURLY].close, second[HOURLY].close)
    finally:
        engine.close()

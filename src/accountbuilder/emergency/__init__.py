"""Emergency checks (SPEC E1-E7, H3): price-move windows, balance anomalies, halts and recovery.

Priority 0: the runner feeds marks and latency samples as they arrive and calls
``EmergencyChecker.check`` at the top of every tick, then ``halts.check_on`` with its findings (the main machine decides HALT and COOLDOWN).
Everything here is pure: time is the ``now_ms`` the caller passes in.
"""

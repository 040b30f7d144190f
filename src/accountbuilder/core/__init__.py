"""The trading core: the tick orchestrator and the state it keeps between ticks."""

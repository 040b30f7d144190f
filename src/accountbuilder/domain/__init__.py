"""Domain vocabulary shared by every part of the core: enums, snapshots, events, commands."""

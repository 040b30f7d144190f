"""The steps of one tick, in SPEC F6's order: emergency → events → position or entry."""

"""Benchmarks at the scales of DESIGN.md: a deterministic synthetic-data generator (`minhu synth`) and the
benchmark command (`minhu bench`). Not tests: they are run on purpose (see docs/performance.md)."""

"""Benchmarks run by `make bench`; each prints one JSON object per line."""

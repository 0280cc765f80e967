"""Bundled data of the benchmarks package: published.json, the table of published scores."""

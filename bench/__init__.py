"""Benchmarks: parasift side by side with other extractors (needs the ``bench`` extra and
../shared/data). Run ``python -m bench.accuracy``."""

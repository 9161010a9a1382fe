"""Benchmarks: each compares oculi against a reference measured in the same run."""

"""Shared pieces of the answer-quality evaluations (matching answers against expectations)."""

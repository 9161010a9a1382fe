"""Measured memory bandwidth: the ceiling on token decode speed for a memory-bound LLM."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def copy_bandwidth(threads: int = 2, mib: int = 256, repeats: int = 5) -> float:
    """Best sustained bytes/s of a large multi-threaded copy (bytes read + bytes written).

    numpy releases the GIL during copies, so `threads` workers each copy their own slice,
    the way llama.cpp's threads each stream their share of the weights.
    """
    n = mib * 2**20 // 8
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    bounds = np.linspace(0, n, threads + 1, dtype=np.int64)
    slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def work(s: slice) -> None:
        np.copyto(dst[s], src[s])

    best = 0.0
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, slices))  # warm up: page in both buffers
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(work, slices))
            dt = time.perf_counter() - t0
            best = max(best, 2 * src.nbytes / dt)
    return best

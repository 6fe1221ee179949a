"""Warming librosa (numba JIT) and the sound model outside the request path.

`warm_up` sets `NUMBA_CACHE_DIR` under the cache folder (so compiled code survives restarts),
runs the analysis once on a synthetic clip and, if a run folder with a sound model is given,
loads it and embeds that clip (numpy for runs with `sound_inference.npz`, else TensorFlow) — so
the first real cold-start query does not pay for any of it. `start_warm_up` does it in a daemon thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def numba_cache_dir(cache_dir: Path) -> Path:
    """Where librosa's compiled code is kept for a data folder's cache folder (numba creates it on first use)."""
    return Path(cache_dir) / "numba"


def set_numba_cache(cache_dir: Path) -> Path:
    """Point numba's on-disk cache at `cache_dir/numba` (before librosa is imported), unless NUMBA_CACHE_DIR is set."""
    path = numba_cache_dir(cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(path))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return path


_WARM_UP_CLIP = "house 124 A minor seed 0 10 s"  # the cache identity of the clip `warm_up_clip` synthesises


def warm_up_clip(cache_dir: Path):
    """The clip the warm-up analyses and embeds [shape=(220500,), float32, 22,050 Hz]: 10 s of synthetic house.

    10 s: as many patches as a query's embedding (EMBED_PATCHES), so the front end's first real call finds its
    kernels already built for that batch shape (a new shape costs ~0.1-0.2 s once). Synthesising it takes
    ~0.6 s, so it is cached (`audio.mel.cached_log_mel`'s cache, kind "warm-up") and read back in ~1 ms.
    """
    from audio.mel import cached_log_mel
    from audio.synth import synthesize_clip

    return cached_log_mel(cache_dir, _WARM_UP_CLIP,
                          lambda: synthesize_clip("house", 124.0, "A minor", seed=0, seconds=10.0), kind="warm-up")


def warm_up(cache_dir: Path, run_dir: Path | None = None) -> float:
    """Do the one-off work of the audio path once: the analysis, the model input and, given a run folder with
    a sound model and embeddings, loading them and embedding the clip; returns the seconds it took."""
    start = time.perf_counter()
    set_numba_cache(cache_dir)
    from audio.analysis import analyze
    from audio.coldstart import analyse_and_embed, load_run

    clip = warm_up_clip(cache_dir)
    if run_dir is not None and (Path(run_dir) / "cnn.keras").is_file():
        analyse_and_embed(clip, load_run(run_dir).sound_model)
    else:
        analyze(clip)
    elapsed = time.perf_counter() - start
    log.info("audio warm-up took %.1f s", elapsed)
    return elapsed


def start_warm_up(cache_dir: Path, run_dir: Path | None = None) -> threading.Thread:
    """Run `warm_up` in a daemon thread (errors are logged, never raised)."""

    def run() -> None:
        try:
            warm_up(cache_dir, run_dir)
        except Exception:  # a failed warm-up only means the first query is slow  # noqa: BLE001
            log.exception("audio warm-up failed")

    thread = threading.Thread(target=run, name="audio-warm-up", daemon=True)
    thread.start()
    return thread

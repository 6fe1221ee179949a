"""Warming librosa (numba JIT) and TensorFlow outside the request path.

`warm_up` sets `NUMBA_CACHE_DIR` under the cache folder (so compiled code survives restarts),
runs the analysis once on a synthetic clip and, unless told the sound model lives elsewhere
(the warm worker's `audio.embedder`), imports Keras and, if a run folder with a CNN is given,
loads it and embeds that clip — so the first real cold-start query does not pay 5-30 s of
start-up. `start_warm_up` does it in a daemon thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def set_numba_cache(cache_dir: Path) -> Path:
    """Point numba's on-disk cache at `cache_dir/numba` (before librosa is imported)."""
    path = Path(cache_dir) / "numba"
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


def warm_up_input(cache_dir: Path):
    """The sound model's input for `warm_up_clip` [shape=(MODEL_N_MELS, t)], cached like it: a fresh process
    computing it pays ~1 s of resampling set-up that the sound model's process need not wait for."""
    from audio.mel import cached_log_mel, model_input

    return cached_log_mel(cache_dir, _WARM_UP_CLIP, lambda: model_input(warm_up_clip(cache_dir)), kind="warm-up-input")


def warm_up(cache_dir: Path, run_dir: Path | None = None, *, sound_model: bool = True) -> float:
    """Do the one-off work of the audio path once; returns the seconds it took.

    sound_model: False warms the analysis only (the warm worker runs the sound model in `audio.embedder`).
    """
    start = time.perf_counter()
    set_numba_cache(cache_dir)
    from audio.analysis import analyze

    clip = warm_up_clip(cache_dir)
    analyze(clip)
    if not sound_model:
        from audio.mel import model_input

        model_input(clip)  # the query's half of the sound model's work (resampling, filterbank), ~1 s the first time
        return time.perf_counter() - start
    from models.cnn import _keras

    _keras()
    if run_dir is not None and (Path(run_dir) / "cnn.keras").is_file():
        from audio.coldstart import analyse_and_embed, load_run

        analyse_and_embed(clip, load_run(run_dir).cnn)
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

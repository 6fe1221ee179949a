"""Cold start: audio (a file, an upload, samples) -> embedding -> the catalog tracks that sound alike.

`cold_start_neighbours(path_or_bytes_or_array, run_dir, k=10)` returns `(track_ids, scores,
analysis)` in the shape of the CF results. A run folder holds the CNN and the indexed
embeddings (see `models.cnn`) plus each indexed track's tempo and Camelot code
(`embedding_tempo.npy`, `embedding_camelot.npy`) for the BPM and key filters.
Loaded runs are kept per process (`load_run`), so only the first query pays for loading.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio.analysis import Analysis, analyze
from audio.decode import check_not_silent, decode_bytes, decode_file, upload_name
from audio.params import SAMPLE_RATE
from errors import ArtifactMissingError, BadInputError
from npyio import load_npy

log = logging.getLogger(__name__)

TEMPO_FILE = "embedding_tempo.npy"
CAMELOT_FILE = "embedding_camelot.npy"


@dataclass(frozen=True)
class LoadedRun:
    sound_model: object  # models.numpy_sound.NumpySoundModel, or models.cnn.CnnModel for runs without it
    index: object  # models.embeddings.EmbeddingIndex


def load_index(run_dir: Path):
    """The run's `EmbeddingIndex` with each track's tempo and Camelot code (numpy only, no TensorFlow)."""
    from models.cnn import load_embeddings
    from models.embeddings import EmbeddingIndex

    path = Path(run_dir)
    embeddings, ids = load_embeddings(path)
    tempo = load_npy(path / TEMPO_FILE) if (path / TEMPO_FILE).is_file() else None
    camelot = load_npy(path / CAMELOT_FILE) if (path / CAMELOT_FILE).is_file() else None
    return EmbeddingIndex(embeddings, ids, tempo=tempo, camelot=camelot)


@functools.lru_cache(maxsize=2)
def _load_run_cached(run_dir: str, stamp: float) -> LoadedRun:
    from models.cnn import load_cnn
    from models.numpy_sound import INFERENCE_FILE, NumpySoundModel

    path = Path(run_dir)
    try:
        model = NumpySoundModel.load(path)  # numpy: no TensorFlow
    except ArtifactMissingError as error:  # a run from before it, or a damaged file: the Keras model answers
        if (path / INFERENCE_FILE).exists():
            log.warning("%s Answering with the Keras model meanwhile.", error)
        model = load_cnn(path)
    return LoadedRun(sound_model=model, index=load_index(path))


def _stamped(run_dir: Path) -> tuple[str, float]:
    from models.cnn import EMBEDDINGS_FILE

    path = Path(run_dir).resolve()
    return str(path), os.stat(path / EMBEDDINGS_FILE).st_mtime if (path / EMBEDDINGS_FILE).is_file() else 0.0


def load_run(run_dir: Path) -> LoadedRun:
    """The sound model and embedding index of `run_dir`, cached until its embeddings file changes."""
    return _load_run_cached(*_stamped(run_dir))


MIN_QUERY_SECONDS = 3.0  # one model patch (audio.params.PATCH_FRAMES), and a few beats for the tempo


def query_samples(audio, *, filename: str = "") -> np.ndarray:
    """Mono float32 samples at 22,050 Hz [shape=(n,)] of a path, uploaded bytes (named `filename`), or samples;
    `BadInputError` when there are less than MIN_QUERY_SECONDS of them."""
    if isinstance(audio, np.ndarray):
        if audio.ndim != 1:
            raise BadInputError(f"samples have shape {audio.shape}; give mono audio.")
        y, name = np.nan_to_num(audio.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0), "the samples"
    elif isinstance(audio, bytes | bytearray):
        y, name = decode_bytes(bytes(audio), filename=filename).y, upload_name(filename)
    else:
        y, name = decode_file(audio).y, Path(audio).name
    if y.size < MIN_QUERY_SECONDS * SAMPLE_RATE:
        raise BadInputError(f"{name}: {y.size / SAMPLE_RATE:.1f} s of audio is too short; tempo, key and sound "
                            f"need at least {MIN_QUERY_SECONDS:.0f} s. Give a longer clip.")
    check_not_silent(y, name)  # decoding checked files already; samples get it here, after the length
    return y


def analyse_and_embed(y: np.ndarray, sound_model) -> tuple[Analysis, np.ndarray]:
    """(tempo/key analysis, unit sound embedding [shape=(EMBEDDING_DIM,)]) of samples `y` at 22,050 Hz.

    sound_model: `LoadedRun.sound_model`. It runs in a second thread while tempo and key are
    measured (both mostly outside the GIL), so a query waits for the slower of the two rather than their sum.
    """
    from concurrent.futures import ThreadPoolExecutor

    from audio.mel import model_input

    with ThreadPoolExecutor(max_workers=1) as pool:
        embedding = pool.submit(lambda: sound_model.embed([model_input(y)])[0])
        analysis = analyze(y)
        return analysis, embedding.result()


def cold_start_neighbours(audio, run_dir: Path, k: int = 10, filters=None, *, match_tempo: bool = False,
                          match_key: bool = False, bpm_tolerance: float = 0.06, exclude=(), filename: str = "",
                          ) -> tuple[np.ndarray, np.ndarray, Analysis]:
    """The `k` indexed tracks whose embeddings are closest (cosine) to `audio`'s.

    filters: a `models.embeddings.NeighbourFilters`; `match_tempo`/`match_key` fill its BPM
    (± `bpm_tolerance`, half/double allowed) and Camelot code from the query's own analysis.
    Returns (track ids [shape=(<=k,)], cosine scores [shape=(<=k,)], the query's Analysis).
    """
    from models.embeddings import NeighbourFilters

    run = load_run(run_dir)
    analysis, embedding = analyse_and_embed(query_samples(audio, filename=filename), run.sound_model)
    filters = filters or NeighbourFilters(exclude=tuple(exclude))
    if match_tempo and analysis.bpm:  # no clear beat: an unknown tempo filters nothing
        filters = replace(filters, bpm=analysis.bpm, bpm_tolerance=bpm_tolerance)
    if match_key and analysis.key.confidence > 0:
        filters = replace(filters, camelot=analysis.key.camelot)
    ids, scores = run.index.similar(embedding, k, filters)
    return ids, scores, analysis

"""Two-dimensional maps of item vectors for the dashboard's neighbourhood picture."""

from __future__ import annotations

import numpy as np


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project rows onto their first two principal components.

    vectors : np.ndarray [shape=(n, d)] → np.ndarray [shape=(n, 2)], float32, each axis scaled to [-1, 1].
    Rows are L2-normalised first (the engines compare directions). Fewer than 3 rows, or rows with no
    spread, give zeros.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, d), got shape {vectors.shape}")
    out = np.zeros((len(vectors), 2), dtype=np.float32)
    if len(vectors) < 3:
        return out
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    centred = unit - unit.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    if projected.shape[1] < 2:
        projected = np.pad(projected, ((0, 0), (0, 2 - projected.shape[1])))
    scale = np.abs(projected).max(axis=0)
    out[:] = projected / np.where(scale > 0, scale, 1.0)
    return out

"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) on a set × track matrix, via `implicit`.

>>> factors = train_als(play_matrix(plays).matrix, AlsParams(factors=16, iterations=5))
>>> factors.item_factors.shape
(n_tracks, 16)
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from errors import CratediggerError
from models.weighting import min_support, weight

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlsParams:
    """Settings of one ALS training; `weighting` is applied to the counts before `alpha` scales them."""

    factors: int = 128
    iterations: int = 15
    regularization: float = 0.05
    alpha: float = 1.0
    weighting: str = "bm25"
    random_state: int = 0
    min_sets: int = 1  # tracks in fewer training sets get zero factors (ALS is not fitted on them)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AlsFactors:
    """What ALS learned.

    set_factors : np.ndarray [shape=(n_sets, factors), dtype=float32]
    item_factors : np.ndarray [shape=(n_tracks, factors), dtype=float32]
    """

    set_factors: np.ndarray
    item_factors: np.ndarray
    seconds: float


class ModelFitError(CratediggerError):
    """Training produced unusable factors (NaN or infinite)."""


def _new_model(params: AlsParams):
    from implicit.cpu.als import AlternatingLeastSquares  # the class; implicit.als.* is a factory

    return AlternatingLeastSquares(
        factors=params.factors,
        regularization=params.regularization,
        alpha=params.alpha,
        iterations=params.iterations,
        random_state=params.random_state,
    )


@functools.cache
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # scanning the loaded libraries is the slow part: do it once


def one_blas_thread():
    """Context manager limiting BLAS to one thread (implicit parallelises with OpenMP itself, and the
    small solves of a query only lose time to BLAS threads contending)."""
    import implicit.cpu.als  # noqa: F401 - load its BLAS before the libraries are scanned

    return _threadpools().limit(limits=1, user_api="blas")


def fit_implicit_als(weighted: sp.csr_matrix, params: AlsParams, *, show_progress: bool = False):
    """A fitted `implicit` CPU ALS model on an already weighted matrix (BLAS limited to one thread);
    `ModelFitError` when its factors come out NaN or infinite (a huge alpha, e.g. 1e30)."""
    from implicit.recommender_base import ModelFitError as ImplicitFitError

    with one_blas_thread():
        model = _new_model(params)  # checks the BLAS configuration when built
        try:
            model.fit(sp.csr_matrix(weighted, dtype=np.float32), show_progress=show_progress)
        except ImplicitFitError:  # implicit's own NaN check, raised as 'NaN encountered in factors'
            raise _unusable_factors(params) from None
    if not (np.isfinite(model.user_factors).all() and np.isfinite(model.item_factors).all()):
        raise _unusable_factors(params)
    return model


def _unusable_factors(params: AlsParams) -> ModelFitError:
    return ModelFitError(
        f"ALS fitted NaN or infinite factors with alpha={params.alpha:g} and regularization="
        f"{params.regularization:g}, so no model was saved: lower --alpha or raise --regularization of train-als "
        "(retrain uses those `tune` chose: run tune again)."
    )


def fit_supported(weighted: sp.csr_matrix, params: AlsParams, *, show_progress: bool = False):
    """(fitted `implicit` model, item factors [shape=(n_tracks, factors), float32]) of ALS on `weighted`.

    Only tracks in at least `params.min_sets` sets are factorised; the others get zero rows. At
    MixesDB size tracks in one set are half of the 1.48 M columns, and leaving them out halves the ALS
    step (16.7 → 7.6 s CPU) but loses what ALS learns about them (`bench/models.md`): off by default.
    """
    supported = min_support(weighted, min_sets=params.min_sets)[1] if params.min_sets > 1 else None
    if supported is None or supported.all():
        model = fit_implicit_als(weighted, params, show_progress=show_progress)
        return model, np.ascontiguousarray(model.item_factors, dtype=np.float32)
    model = fit_implicit_als(weighted[:, supported], params, show_progress=show_progress)
    item_factors = np.zeros((weighted.shape[1], params.factors), dtype=np.float32)
    item_factors[supported] = model.item_factors
    return model, item_factors


def train_als(
    counts: sp.csr_matrix, params: AlsParams | None = None, *, show_progress: bool = False
) -> AlsFactors:
    """Weight `counts` (sets × tracks) by `params.weighting` and factorise it."""
    params = params or AlsParams()
    if params.factors < 1 or params.iterations < 1:
        raise ValueError(f"factors={params.factors} and iterations={params.iterations} must be positive")
    weighted = weight(counts, params.weighting)
    start = time.perf_counter()
    model, item_factors = fit_supported(weighted, params, show_progress=show_progress)
    seconds = time.perf_counter() - start
    set_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
    log.info("ALS %s on %s in %.1fs", params, counts.shape, seconds)
    return AlsFactors(set_factors=set_factors, item_factors=item_factors, seconds=seconds)


def normalised(factors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), for cosine similarity by dot product."""
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return (factors / np.maximum(norms, 1e-12)).astype(np.float32)

import numpy as np
import pytest

from models.projection import pca_2d


def test_two_clusters_land_apart_on_the_first_axis():
    rng = np.random.default_rng(0)
    a = rng.normal([5, 0, 0, 0], 0.1, size=(10, 4))
    b = rng.normal([0, 5, 0, 0], 0.1, size=(10, 4))
    xy = pca_2d(np.vstack([a, b]))
    assert xy.shape == (20, 2) and xy.dtype == np.float32
    assert np.sign(xy[:10, 0]).tolist() == [np.sign(xy[0, 0])] * 10
    assert np.sign(xy[10:, 0]).tolist() == [-np.sign(xy[0, 0])] * 10
    assert np.abs(xy).max() <= 1.0 + 1e-6


def test_degenerate_inputs_give_zeros_not_errors():
    assert not pca_2d(np.ones((5, 3))).any()
    assert pca_2d(np.ones((2, 3))).shape == (2, 2)
    with pytest.raises(ValueError):
        pca_2d(np.ones(3))

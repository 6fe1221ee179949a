"""Run folders and atomic publishing."""

import threading

import numpy as np
import pytest

from errors import ArtifactMissingError, BadInputError, NotFoundError
from models.artifacts import (
    current_run,
    current_run_id,
    find_run,
    list_runs,
    load_run,
    publish,
    update_metadata,
    write_run,
)


def test_write_run_is_complete_and_loads_without_pickle(tmp_path):
    run = write_run(
        tmp_path, {"item_factors": np.eye(3, dtype=np.float32), "track_ids": np.arange(3)}, {"x": 1}
    )
    loaded = load_run(run.path)
    assert loaded.metadata["x"] == 1 and loaded.metadata["arrays"] == ["item_factors", "track_ids"]
    np.testing.assert_array_equal(loaded.array("item_factors"), np.eye(3))
    assert list_runs(tmp_path) == [run.run_id]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_object_arrays_are_refused_and_leave_nothing_behind(tmp_path):
    with pytest.raises(TypeError):
        write_run(tmp_path, {"track_ids": np.array(["a", 1], dtype=object)}, {})
    assert list(tmp_path.iterdir()) == []


def test_publish_swaps_current_and_metadata_updates(tmp_path):
    with pytest.raises(ArtifactMissingError, match="train-als --publish"):
        current_run(tmp_path)
    first = write_run(tmp_path, {"a": np.zeros(2)}, {})
    second = write_run(tmp_path, {"a": np.ones(2)}, {})
    publish(tmp_path, first.run_id)
    assert current_run_id(tmp_path) == first.run_id
    publish(tmp_path, second)
    assert current_run(tmp_path).run_id == second.run_id
    updated = update_metadata(second, metrics={"default": {"ndcg@10": 0.5}})
    assert load_run(updated.path).metadata["metrics"]["default"]["ndcg@10"] == 0.5
    with pytest.raises(NotFoundError, match="No model run"):
        find_run(tmp_path, "20990101-000000-abcdef")


def test_publish_refuses_an_incomplete_run(tmp_path):
    run = write_run(tmp_path, {"a": np.zeros(2), "b": np.zeros(2)}, {})
    (run.path / "b.npy").unlink()
    with pytest.raises(ArtifactMissingError, match="incomplete"):
        publish(tmp_path, run.run_id)
    assert current_run_id(tmp_path) is None


def test_publish_refuses_a_run_its_retrain_never_evaluated(tmp_path):
    """QA: a retrain killed between writing its run and evaluating it left a run `publish` accepted."""
    run = write_run(tmp_path, {"a": np.zeros(2)}, {"awaiting_evaluation": True})
    with pytest.raises(ArtifactMissingError, match="never evaluated"):
        publish(tmp_path, run.run_id)
    assert current_run_id(tmp_path) is None
    publish(tmp_path, update_metadata(run, metrics={"default": {}}, awaiting_evaluation=False))
    assert current_run_id(tmp_path) == run.run_id


def test_publish_refuses_a_run_outside_the_models_folder(tmp_path):
    run = write_run(tmp_path / "elsewhere", {"a": np.zeros(1)}, {})
    with pytest.raises(BadInputError):
        publish(tmp_path / "models", run)


def test_a_reader_never_sees_a_half_written_run(tmp_path):
    """Publish many runs while readers load `current` in a loop: every read is complete and consistent."""
    models = tmp_path / "models"
    publish(models, write_run(models, {"values": np.full(1000, 0.0)}, {"value": 0.0}))
    stop, failures = threading.Event(), []

    def reader():
        while not stop.is_set():
            try:
                run = current_run(models)
                values = run.array("values", mmap=False)
                if not (values == run.metadata["value"]).all():
                    failures.append(f"{run.run_id}: arrays and metadata disagree")
            except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(repr(error))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for step in range(1, 40):
        publish(models, write_run(models, {"values": np.full(1000, float(step))}, {"value": float(step)}))
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert current_run(models).metadata["value"] == 39.0

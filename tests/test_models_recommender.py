"""The served recommender: known answers, filters, evidence, and hot reload under concurrent requests."""

import threading

import pytest

from errors import ArtifactMissingError, BadInputError, NotFoundError
from models.als import AlsParams
from models.artifacts import publish
from models.pipeline import train_run
from models.recommender import Recommender, RecommenderLoader
from tests.models_catalog import build_catalog, settings_for

PARAMS = AlsParams(factors=8, iterations=20, regularization=0.01)


@pytest.fixture(scope="module", params=["als", "default"])
def crate(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("crate")
    ids = build_catalog(data_dir)
    settings = settings_for(data_dir)
    publish(settings.models_dir, train_run(settings, engine=request.param, als=PARAMS))
    return settings, ids, Recommender.from_current(settings)


def names(ids, results):
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r.track_id] for r in results]


def test_similar_finds_the_same_scene_first(crate):
    _, ids, rec = crate
    assert set(names(ids, rec.similar([ids["h1"]], n=3))) <= {"h2", "h3", "h4", "h5"}
    assert set(names(ids, rec.similar([ids["t1"]], n=3))) == {"t2", "t3", "t4"}


def test_seeds_never_come_back_and_n_larger_than_catalogue(crate):
    _, ids, rec = crate
    results = rec.similar([ids["h1"], ids["t1"]], n=100)
    assert len(results) == len(ids) - 2
    assert {"h1", "t1"}.isdisjoint(names(ids, results))
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_batch_covers_both_scenes(crate):
    _, ids, rec = crate
    top = names(ids, rec.similar([ids["h2"], ids["t2"]], n=6))
    assert {n[0] for n in top} == {"h", "t"}


def test_exclude_and_one_per_artist(crate):
    _, ids, rec = crate
    first = rec.similar([ids["h2"]], n=1)[0]
    after = rec.similar([ids["h2"]], n=8, exclude=[first.track_id])
    assert first.track_id not in [r.track_id for r in after]
    per_artist = rec.similar([ids["h3"]], n=10, one_per_artist=True)
    artists = [r.artist for r in per_artist]
    assert len(artists) == len(set(artists)) and len(per_artist) == len(ids) - 2  # h1 and h5 share an artist


def test_evidence_counts_sets_examples_and_followers(crate):
    _, ids, rec = crate
    by_name = {names(ids, [r])[0]: r for r in rec.similar([ids["h1"]], n=20)}
    h2 = by_name["h2"]
    assert h2.shared_sets == 5 and h2.followed_count == 5
    assert len(h2.examples) == 3 and h2.examples[0].date >= h2.examples[-1].date
    assert h2.examples[0].url.startswith("https://example.org/")
    assert h2.shared_label == "Deep Label" and h2.artist == "Deep Person" and h2.spotify_id
    assert by_name["h5"].shared_artists == ("House Artist",) and by_name["h5"].shared_sets == 1
    assert by_name["t1"].shared_sets == 0 and by_name["t1"].examples == ()
    payload = h2.to_dict()
    assert payload["examples"] == [e.title for e in h2.examples] and payload["engine"] == rec.engine.name


def test_evidence_from_the_run_equals_the_catalogs_answer(crate):
    """The run's stored sets (models.evidence) give what SQLite gives, for one seed and several."""
    _, ids, rec = crate
    assert rec._evidence is not None
    for seeds in ([ids["h1"]], [ids["h2"], ids["t3"]], [ids["t1"]]):
        from_run = rec.similar(seeds, n=20)
        stored, rec._evidence = rec._evidence, None
        try:
            from_catalog = rec.similar(seeds, n=20)
        finally:
            rec._evidence = stored
        assert [(r.track_id, r.shared_sets, r.examples, r.followed_count) for r in from_run] == [
            (r.track_id, r.shared_sets, r.examples, r.followed_count) for r in from_catalog]
        assert any(r.shared_sets >= 2 for r in from_run) and any(r.followed_count for r in from_run)


def test_bad_queries(crate):
    _, ids, rec = crate
    with pytest.raises(BadInputError):
        rec.similar([ids["h1"]], n=0)
    with pytest.raises(BadInputError):
        rec.similar([], n=5)
    with pytest.raises(NotFoundError):
        rec.similar([999_999])


def test_loader_without_a_published_run_says_what_to_do(tmp_path):
    settings = settings_for(tmp_path)
    with pytest.raises(ArtifactMissingError, match="train-als --publish"):
        RecommenderLoader.from_settings(settings).get()


def test_hot_reload_under_concurrent_requests(tmp_path):
    build_catalog(tmp_path)
    settings = settings_for(tmp_path)
    first = train_run(settings, als=PARAMS)
    publish(settings.models_dir, first)
    loader = RecommenderLoader.from_settings(settings, check_every=0.0)
    ids = build_catalog(tmp_path)  # same catalog again: idempotent
    stop, failures, seen = threading.Event(), [], set()

    def client():
        while not stop.is_set():
            try:
                rec = loader.get()
                results = rec.similar([ids["t1"]], n=3)
                seen.add(rec.run_id)
                if len(results) != 3:
                    failures.append(f"{rec.run_id}: {len(results)} results")
            except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    published = [first.run_id]
    for _ in range(3):
        run = train_run(settings, als=PARAMS)
        publish(settings.models_dir, run)
        published.append(run.run_id)
        served = threading.Event()
        for _ in range(500):  # until a client request was served by the new run (at most ~5 s)
            if run.run_id in seen:
                break
            served.wait(0.01)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert loader.get().run_id == published[-1]
    assert published[-1] in seen


def test_shared_slots_follow_the_seed_weights(crate):
    _, ids, rec = crate
    results = rec.similar([ids["h2"], ids["t2"]], n=4, weights=[3, 1], share_slots=True)
    scenes = [name[0] for name in names(ids, results)]
    assert sorted(scenes) == ["h", "h", "h", "t"]
    assert len(set(r.track_id for r in results)) == 4
    even = rec.similar([ids["h2"], ids["t2"]], n=6, share_slots=True, one_per_artist=True)
    assert sorted(n[0] for n in names(ids, even)) == ["h", "h", "h", "t", "t", "t"]
    with pytest.raises(BadInputError):
        rec.similar([ids["h2"], ids["t2"]], weights=[1])


def test_preload_serves_requests_that_arrive_while_it_loads(tmp_path):
    ids = build_catalog(tmp_path)
    settings = settings_for(tmp_path)
    publish(settings.models_dir, train_run(settings, als=PARAMS))
    loader = RecommenderLoader.from_settings(settings)
    assert loader.loaded is None
    loader.preload()
    answers, failures = [], []

    def client():
        try:
            answers.append(len(loader.get().similar([ids["t1"]], n=3)))
        except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
            failures.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and answers == [3, 3, 3, 3]
    assert loader.loaded is loader.get() and not loader.preload()  # loaded once, not again


def test_runs_store_each_tracks_top_styles_as_the_catalog_counts_them(crate):
    from catalog.db import connect
    from catalog.queries import track_styles
    from ui.service import styles_for

    settings, ids, rec = crate
    track_ids = sorted(ids.values())
    stored = rec.styles(track_ids)
    conn = connect(settings.catalog_path, readonly=True)
    try:
        counted = track_styles(conn, track_ids)
        assert any(stored.values()) and all(set(stored[t]) == set(counted.get(t, [])) for t in track_ids)
        assert {"House", "Techno"} <= {style for styles in stored.values() for style in styles}
        assert styles_for(conn, track_ids, rec) == stored
        assert rec.styles([10**9]) == {}  # a track the run never saw has none stored
    finally:
        conn.close()

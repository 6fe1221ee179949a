"""Cratedigger's dashboard: `python app.py` serves it; `server = app.server` is for gunicorn.

The app loads the published model run read-only and reloads it when a new run is
published. TensorFlow is never imported here: uploads go to the warm sound worker
(`audio.worker`), whose sound model runs in numpy.
"""

from __future__ import annotations

import logging

import dash

from audio.worker import SoundWorkerKeeper
from config import load_settings
from ui import layout
from ui.callbacks import register_callbacks
from ui.export import spotify_state
from ui.media import register_media_routes
from ui.sound import SoundIndexLoader
from ui.status import PageFacts

log = logging.getLogger(__name__)


def background_jobs(settings) -> dash.DiskcacheManager:
    """Where background callbacks (audio analysis of an upload) keep their state: the data folder's cache."""
    import diskcache

    folder = settings.cache_dir / "dash-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return ForkServerJobs(diskcache.Cache(str(folder)), expire=3600)


class ForkServerJobs(dash.DiskcacheManager):
    """Dash's diskcache jobs, each started from a fork server rather than forked from the server itself.

    A job forked from the threaded server while another request's thread was inside SQLite inherited
    SQLite's lock held, and hung in its first `sqlite3.connect` (2 of ~15 uploads under concurrent
    queries): the fork server is a clean single-threaded process that forks the jobs instead. It imports
    `ui.callbacks` once, at start-up in the background, so a job starts in ~10 ms (~0.3 s without).
    """

    def __init__(self, *args, **kwargs) -> None:
        import threading

        import multiprocess
        import multiprocess.forkserver

        super().__init__(*args, **kwargs)
        self._processes = multiprocess.get_context("forkserver")
        self._processes.set_forkserver_preload(["ui.callbacks"])
        threading.Thread(target=multiprocess.forkserver.ensure_running, name="fork-server", daemon=True).start()

    def call_job_fn(self, key, job_fn, args, context):
        process = self._processes.Process(target=job_fn, args=(key, self._make_progress_key(key), args, context))
        process.start()
        return process.pid


def create_app(settings=None) -> dash.Dash:
    from models.recommender import RecommenderLoader
    from spotify.oauth import register_spotify_routes

    settings = settings or load_settings()
    # Requests are small and concurrent: multi-threaded BLAS only adds contention (measured: a 150×128
    # SVD took 44 ms on average with 2 BLAS threads next to implicit's OpenMP, 2 ms with one).
    from threadpoolctl import threadpool_limits

    from models.memory import few_malloc_arenas

    threadpool_limits(1, user_api="blas")
    few_malloc_arenas()  # models.memory: freed request arrays otherwise spread over 16 arenas
    loader = RecommenderLoader.from_settings(settings)
    sound_loader = SoundIndexLoader(settings)
    app = dash.Dash(__name__, title="Cratedigger", update_title=None, suppress_callback_exceptions=False,
                    background_callback_manager=background_jobs(settings))
    facts = PageFacts(settings, loader)
    app.layout = lambda: layout.page(facts.status(), facts.examples(), spotify_state(settings))
    register_spotify_routes(app.server, settings)
    register_media_routes(app.server, settings)
    register_callbacks(app, settings, loader, sound_loader)
    keeper = SoundWorkerKeeper(settings)  # restarts the warm sound worker if it dies

    @app.server.before_request
    def keep_sound_worker() -> None:
        keeper.check()

    app.server.config["CRATEDIGGER_SOUND_WORKER"] = keeper
    app.server.config["CRATEDIGGER_SETTINGS"] = settings
    return app


if __name__ != "__mp_main__":  # a background job's process imports this file under that name: no second dashboard
    app = create_app()
    server = app.server

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("spotipy.client").setLevel(logging.WARNING)  # its failed-request lines are said in our words
    settings = server.config["CRATEDIGGER_SETTINGS"]
    server.config["CRATEDIGGER_SOUND_WORKER"].check()  # the worker warms while the page loads
    app.run(host=settings.host, port=settings.port, debug=False)

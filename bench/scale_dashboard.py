"""The dashboard under load: N simulated DJs POSTing Dash callbacks to `python app.py` on 127.0.0.1.

Starts `python app.py` on the generated data folder (published run from `scale_als.py`, offline),
times start → first HTTP 200 of `/`, then runs `--users` threads for a bounded time (each loop is
bounded in count and time, so it stops by itself). Payloads are built from the server's own
callback map (`/_dash-dependencies`) in the renderer's request format (`output`, `outputs`, `inputs`,
`state`, `changedPropIds`); pattern-matching inputs (the example chips) are sent as empty lists. One
user loop:

1. **query**: the search callback with a pasted Spotify link (`search-button.n_clicks`);
2. **table**: the results callback the browser fires when the results store changes (table, query
   card and the neighbourhood map in one answer);
3. **control**: a control change (n, blend, tempo range) on the same results;
4. **pick**: ticking the first five rows, then **map**: the results callback again, as the picks
   change (it redraws the map with the picks marked); **export**: a CSV file export of the picks.

"DJ-set query" is what the DJ waits for after pasting: query + table (which now carries the map). The raw floor beside
each figure is Dash's own round trip for a trivial callback (autocomplete with one character) on
the same server under the same load. Errors are non-200 answers and failed connections. The
server's peak RSS (process and children, psutil, sampled every 0.2 s) covers start-up and load.
`--think S` makes each user wait 0 … 2S seconds before every request (a DJ reading the results;
default 1 s). `--think 0` is a closed-loop stress test: 20 clients firing back to back are a
throughput test, not 20 DJs, and every request then queues behind the others (even Dash's trivial
callback waits 100–200 ms), so the p95 target is judged on the think-time run; `run(ctx)`, what
`run_all.py` calls, runs both. Targets (issue 8): 20 users 0 errors, DJ-set query p95 ≤ 200 ms,
RSS ≤ 2 GiB, ready ≤ 5 s.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from scale_common import ROOT, Figure, ScaleContext, percentile

READY_TARGET = 5.0
QUERY_P95_TARGET_MS = 200.0
RSS_TARGET = 2 * 2**30
MAX_LOOPS = 10_000  # per user; the time bound normally ends the loop first


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children, sampled until `stop()`."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self.peak_split = ""  # the server's anonymous / file-backed (memory-mapped) resident memory at the peak
        self._stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                rss = self.process.memory_info().rss + sum(
                    c.memory_info().rss for c in self.process.children(recursive=True))
            except psutil.Error:
                return
            if rss > self.peak:
                self.peak, self.peak_split = rss, _rss_split(self.process.pid)
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()


def _rss_split(pid: int) -> str:
    """'anon 1.10 GiB, file 0.40 GiB' from /proc/PID/status (file = mapped files such as the factors)."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        anon, file = (int(fields[k].split()[0]) / 2**20 for k in ("RssAnon", "RssFile"))
    except (OSError, KeyError, ValueError):
        return ""
    return f"server anon {anon:.2f} GiB, file-backed {file:.2f} GiB"


class DashClient:
    """Builds `/_dash-update-component` bodies from the server's callback map."""

    def __init__(self, base: str, session):
        self.base = base
        self.dependencies = session.get(f"{base}/_dash-dependencies", timeout=30).json()

    def find(self, output_part: str, input_part: str) -> dict:
        for dep in self.dependencies:
            inputs = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
            if output_part in dep["output"] and any(input_part == i for i in inputs):
                return dep
        raise LookupError(f"no callback with output {output_part!r} and input {input_part!r}")

    @staticmethod
    def _outputs(output: str):
        if output.startswith("..") and output.endswith(".."):
            parts = output[2:-2].split("...")
        else:
            parts = [output]
        specs = []
        for part in parts:
            ident, prop = part.rsplit(".", 1)
            specs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
        return specs if output.startswith("..") else specs[0]

    @staticmethod
    def _values(items: list[dict], values: dict) -> list:
        out = []
        for item in items:
            if str(item["id"]).startswith("{"):  # pattern-matching ALL: no such components rendered here
                out.append([])
                continue
            key = f"{item['id']}.{item['property']}"
            out.append({"id": item["id"], "property": item["property"], "value": values.get(key)})
        return out

    def body(self, dep: dict, values: dict, changed: list[str]) -> dict:
        return {"output": dep["output"], "outputs": self._outputs(dep["output"]),
                "inputs": self._values(dep["inputs"], values), "state": self._values(dep["state"], values),
                "changedPropIds": changed}


def _query_ids(path: Path, n: int, seed: int) -> list[str]:
    """Spotify IDs of tracks drawn from random plays (popular tracks as often as DJs paste them)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    max_id = conn.execute("SELECT MAX(id) FROM plays").fetchone()[0]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        row = conn.execute("SELECT t.spotify_id FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.id = ?",
                           (rng.randint(1, max_id),)).fetchone()
        if row and row[0]:
            out.append(row[0])
    conn.close()
    return out


def _layout_value(node, component_id: str, prop: str):
    if isinstance(node, dict):
        props = node.get("props") if "props" in node else None
        if props is not None and props.get("id") == component_id:
            return props.get(prop)
        for value in (node.get("props") or node).values() if isinstance(node, dict) else ():
            found = _layout_value(value, component_id, prop)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _layout_value(value, component_id, prop)
            if found is not None:
                return found
    return None


class User(threading.Thread):
    """One simulated DJ: query → table → map → control change → pick → export, until the deadline."""

    def __init__(self, index: int, client: DashClient, deps: dict, ids: list[str], deadline: float, tab,
                 think: float = 0.0):
        super().__init__(daemon=True)
        self.think = think
        self.rng = random.Random(index)
        self.client, self.deps, self.ids, self.deadline, self.tab = client, deps, ids, deadline, tab
        self.times: dict[str, list[float]] = {k: [] for k in ("query", "table", "map", "dj_set", "control", "pick",
                                                              "export", "floor")}
        self.errors: dict[str, int] = {}
        self.empty = 0

    def post(self, session, kind: str, dep: dict, values: dict, changed: list[str]):
        if self.think > 0:  # a DJ reads before the next click: uniform 0 … 2 × think seconds
            time.sleep(max(0.0, min(self.rng.uniform(0, 2 * self.think), self.deadline - time.monotonic())))
        body = self.client.body(dep, values, changed)
        start = time.perf_counter()
        try:
            response = session.post(f"{self.client.base}/_dash-update-component", json=body, timeout=60)
        except Exception as error:  # connection refused/reset: an error the DJ would see
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.errors.setdefault(f"{kind}: {type(error).__name__}", 0)
            return None, time.perf_counter() - start
        seconds = time.perf_counter() - start
        self.times[kind].append(seconds)
        if response.status_code == 204:
            return {}, seconds
        if response.status_code != 200:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            return None, seconds
        return response.json().get("response", {}), seconds

    def run(self) -> None:
        import requests

        session = requests.Session()
        d = self.deps
        for _ in range(MAX_LOOPS):
            if time.monotonic() > self.deadline:
                break
            spotify_id = self.rng.choice(self.ids)
            out, t_query = self.post(session, "query", d["search"], {
                "search-button.n_clicks": 1, "search-input.value": f"https://open.spotify.com/track/{spotify_id}"},
                ["search-button.n_clicks"])
            store = (out or {}).get("results-store", {}).get("data")
            if not store or not store.get("candidates"):
                self.empty += out is not None
                continue
            controls = {"results-store.data": store, "control-n.value": 30, "control-blend.value": 0.3,
                        "control-bpm.value": None, "control-styles.value": [], "control-flags.value": [],
                        "feedback-store.data": {"liked": [], "disliked": []}, "picks-store.data": [],
                        "figure-tabs.value": self.tab, "results-table.selected_row_ids": []}
            out, t_table = self.post(session, "table", d["controls"], controls, ["results-store.data"])
            rows = (out or {}).get("results-table", {}).get("data") or []
            if out is not None:
                self.times["dj_set"].append(t_query + t_table)
            controls.update({"control-n.value": self.rng.choice([20, 40, 50]),
                             "control-blend.value": self.rng.random(), "control-bpm.value": self.rng.choice([4, 8])})
            out, _ = self.post(session, "control", d["controls"], controls, ["control-n.value"])
            rows = (out or {}).get("results-table", {}).get("data") or rows
            selected = [row["id"] for row in rows[:5]]
            out, _ = self.post(session, "pick", d["pick"], {
                "results-table.selected_row_ids": selected, "results-table.data": rows, "picks-store.data": [],
                "results-store.data": store}, ["results-table.selected_row_ids"])
            picks = (out or {}).get("picks-store", {}).get("data") or []
            self.post(session, "map", d["controls"], {**controls, "picks-store.data": picks,
                                                     "results-table.selected_row_ids": selected},
                      ["picks-store.data"])
            out, _ = self.post(session, "export", d["export"], {
                "export-csv.n_clicks": 1, "picks-store.data": picks, "export-name.value": "bench picks"},
                ["export-csv.n_clicks"])
            if out is not None and not (out.get("export-download") or {}).get("data"):
                self.errors["export (no file)"] = self.errors.get("export (no file)", 0) + 1
            self.post(session, "floor", d["suggest"], {"search-input.value": "x"}, ["search-input.value"])


def start_server(data_dir: Path, port: int, log_path: Path) -> tuple[subprocess.Popen, float]:
    """`python app.py` on `data_dir`; (process, seconds from start to the first HTTP 200 of `/`)."""
    import requests

    env = {**os.environ, "CRATEDIGGER_DATA_DIR": str(data_dir), "CRATEDIGGER_PORT": str(port),
           "CRATEDIGGER_OFFLINE": "1"}
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        env.pop(name, None)
    start = time.perf_counter()
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - start < 120:
        if process.poll() is not None:
            raise RuntimeError(f"python app.py exited with {process.returncode}: see {log_path}")
        try:
            if requests.get(url, timeout=30).status_code == 200:
                return process, time.perf_counter() - start
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"python app.py did not answer within 120 s: see {log_path}")


THINK = 1.0  # mean seconds a simulated DJ reads before the next click


def run(ctx: ScaleContext) -> list[Figure]:
    """The load test with think time (the targets) and then as a closed-loop stress test."""
    return load_test(ctx, think=THINK) + load_test(ctx, think=0.0)


def load_test(ctx: ScaleContext, users: int = 20, duration: float | None = None, think: float = THINK) -> list[Figure]:
    """Figures of one load test; `think` = mean seconds a user waits before each request (0: closed loop)."""
    import requests

    duration = duration or (20.0 if ctx.quick else 60.0)
    port = _free_port()
    log_path = ctx.data_dir / "app-bench.log"
    ids = _query_ids(ctx.catalog_path, 2000, ctx.seed)
    start = time.perf_counter()
    process, ready = start_server(ctx.data_dir, port, log_path)
    sampler = RssSampler(process.pid)
    sampler.start()
    try:
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        client = DashClient(base, session)
        deps = {"search": client.find("results-store.data", "search-button.n_clicks"),
                "controls": client.find("results-table.data", "control-n.value"),
                "pick": client.find("picks-store.data", "results-table.selected_row_ids"),
                "export": client.find("export-download.data", "export-csv.n_clicks"),
                "suggest": client.find("search-suggestions.children", "search-input.value")}
        tab = _layout_value(session.get(f"{base}/_dash-layout", timeout=60).json(), "figure-tabs", "value")
        first = User(-1, client, deps, ids, time.monotonic() + 1e-9, tab)
        _, first_answer = first.post(session, "query", deps["search"], {
            "search-button.n_clicks": 1, "search-input.value": f"spotify:track:{ids[0]}"}, ["search-button.n_clicks"])
        first_answer_at = time.perf_counter() - start
        import psutil

        deadline = time.monotonic() + duration
        crowd = [User(i, client, deps, ids, deadline, tab, think) for i in range(users)]
        server_cpu, client_cpu = sum(psutil.Process(process.pid).cpu_times()[:2]), time.process_time()
        load_start = time.perf_counter()
        for user in crowd:
            user.start()
        for user in crowd:
            user.join(duration + 120)
        elapsed = time.perf_counter() - load_start
        server_cpu = sum(psutil.Process(process.pid).cpu_times()[:2]) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        sampler.stop()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    times = {k: [t for u in crowd for t in u.times[k]] for k in crowd[0].times}
    errors: dict[str, int] = {}
    for user in crowd:
        for key, value in user.errors.items():
            errors[key] = errors.get(key, 0) + value
    total_errors = sum(v for k, v in errors.items() if ":" not in k)
    requests_done = sum(len(v) for v in times.values() if v is not times["dj_set"])
    floor = times["floor"]
    think_note = f", think {think:g} s" if think else ", no think time"
    note = f"{users} users{think_note}, {elapsed:.0f} s, {requests_done:,} requests"
    figures = [
        Figure("`python app.py` start → HTTP 200", ready, "s", target=f"≤ {READY_TARGET:.0f} s",
               met=ready <= READY_TARGET),
        Figure("start → first answered query (model loaded)", first_answer_at, "s",
               note=f"first query {first_answer * 1000:.0f} ms"),
        Figure("server peak RSS (process + children)", sampler.peak / 2**30, "GiB",
               target="≤ 2 GiB", met=sampler.peak <= RSS_TARGET, note=sampler.peak_split),
        Figure("cores busy during the load: server", server_cpu / elapsed, "cores",
               note=f"the simulated users used {client_cpu / elapsed:.2f} cores of the same machine"),
        Figure("errors under load", total_errors, "count", target="0", met=total_errors == 0,
               note=f"{note}; {json.dumps(errors) if errors else 'none'}; empty answers "
                    f"{sum(u.empty for u in crowd)}"),
    ]
    labels = {"dj_set": "DJ-set query (query + table with map)", "query": "search callback",
              "table": "table + map callback", "map": "map redraw after picking", "control": "control change",
              "pick": "pick rows", "export": "CSV export", "floor": "Dash floor: trivial callback"}
    for key, label in labels.items():
        values = times[key]
        if not values:
            figures.append(Figure(f"{label}: no answers", 0, "ms", met=False))
            continue
        for q in (50, 95, 99):
            ours = percentile(values, q) * 1000
            raw = percentile(floor, q) * 1000 if key != "floor" else None
            target, met = "", None
            if key == "dj_set" and q == 95 and think > 0:
                target, met = f"≤ {QUERY_P95_TARGET_MS:.0f} ms", ours <= QUERY_P95_TARGET_MS
            figures.append(Figure(f"{label} p{q}", ours, "ms", raw=raw, target=target, met=met,
                                  note=f"n={len(values)}, {users} users{think_note}"))
    return figures


if __name__ == "__main__":
    import argparse

    from scale_common import context_for, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=None, help="seconds of load (60 at full scale)")
    parser.add_argument("--think", type=float, default=THINK, help="mean think time before each request, s "
                        "(0: closed-loop stress test)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--record", action="store_true", help="append the figures to bench/results.md")
    args = parser.parse_args()
    ctx = context_for(args.data_dir, scale=args.scale)
    figures = load_test(ctx, args.users, args.duration, args.think)
    print_table(figures)
    if args.record:
        from scale_common import append_results

        append_results(figures, ctx)

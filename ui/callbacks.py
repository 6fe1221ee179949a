"""Dashboard callbacks: plain functions (tested by calling them) and their wiring.

Shared state lives in `dcc.Store`s: `results-store` (the query and its candidates, with an `answer_id`),
`again-store` (an answer asked again, applied only over the answer it replaces: `assets/again.js`),
`picks-store` (picked tracks), `feedback-store` (👍/👎 track ids).
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections import Counter

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update

from errors import CratediggerError
from ui import figures
from ui.export import export_file, export_spotify, read_destination
from ui.layout import ADD_TO_PLAYLIST, CREATE_PLAYLIST
from ui.online import spotify_player_available
from ui.ranking import Controls, Feedback, rank
from ui.service import answer_query, cards_for, open_catalog, suggest

log = logging.getLogger(__name__)

_VOTE = re.compile(r"^#(like|dislike)-(\d+)$")
_HARMONY_MARK = {"same": "●", "compatible": "✓", "clash": "✗", "unknown": ""}


# -- pure callback bodies ---------------------------------------------------------------------------
def suggestions_for(settings, text: str, tab: str | None = None):
    """The search box's datalist options; `no_update` (the last ones stay) when a newer keystroke of the same
    browser tab (`tab-id`) came first."""
    conn = open_catalog(settings)
    try:
        labels = suggest(conn, text, tab=tab)
        return no_update if labels is None else [html.Option(value=label) for label in labels]
    finally:
        if conn is not None:
            conn.close()


def alert(message: str | None, level: str = "info"):
    if not message:
        return None
    return html.Div(message, className=f"alert alert-{level}", role="alert")


def destination_ids(destination: dict | None) -> list[int]:
    """Catalog ids of the destination playlist's tracks (`destination-store`), which no answer offers."""
    return list((destination or {}).get("track_ids") or ())


def _digest(track_ids: list[int]) -> str:
    """A short fingerprint of a set of track ids (what an answer left out), to tell whether it changed."""
    return hashlib.sha1(",".join(map(str, sorted(set(track_ids)))).encode()).hexdigest()[:16]


def new_answer_id() -> str:
    """A fresh `answer_id`: which answer an answer asked again replaces (`again_store`)."""
    return uuid.uuid4().hex


def search(settings, loader, text: str | None, sound_loader=None, destination: dict | None = None) -> tuple[dict, object]:
    """(results-store data, alert) for a pasted query; the destination playlist's tracks are left out."""
    if not text or not text.strip():
        return {"query": None, "candidates": [], "answer_id": new_answer_id()}, \
            alert("Paste a Spotify track link, URI or ID, or type artist - title.")
    held = destination_ids(destination)
    answer = answer_query(text, settings, loader, sound_loader=sound_loader, exclude=held)
    return {**answer.to_store(), "left_out": _digest(held), "answer_id": new_answer_id()}, \
        alert(answer.message, answer.level)


def search_again(settings, loader, store: dict | None, sound_loader=None, destination: dict | None = None,
                 typed: str | None = None):
    """(results-store data, alert) for the same pasted query once the destination playlist changed (its tracks
    left out before the candidates are counted, so a big playlist does not empty the table), or `no_update` twice
    when there is no pasted query to ask again (nothing yet, or an uploaded file: the table then hides them among
    its candidates). The alert is said again: a sentence on the old answer ('every track … is already in the
    destination playlist') must not outlive it. `typed` (the search box now) other than the query asked means a
    new query is on its way: asking the old one again could land after it and replace its answer.
    """
    text = (store or {}).get("text")
    if not text or not (store or {}).get("query") or store.get("left_out") == _digest(destination_ids(destination)):
        return no_update, no_update  # nothing to ask again, or asked without these tracks already (the page's first call)
    if typed is not None and typed.strip() != text.strip():
        return no_update, no_update  # the table still hides the destination's tracks (`controls_from`)
    return search(settings, loader, text, sound_loader, destination)


def again_store(settings, loader, store: dict | None, sound_loader=None, destination: dict | None = None,
                typed: str | None = None):
    """`again-store` data: {'replaces': the `answer_id` asked again, 'store', 'alert'}, or `no_update`.

    Not written to `results-store` straight away: a Dig clicked while the old query is asked again (~0.3 s) can
    answer first, and the old answer landing after it would replace the new one. `assets/again.js` applies it only
    while the page still shows the answer it replaces."""
    new_store, message = search_again(settings, loader, store, sound_loader, destination, typed)
    if new_store is no_update:
        return no_update
    return {"replaces": store.get("answer_id"), "store": new_store, "alert": message}


def upload(settings, contents: str | None, filename: str | None, set_progress=lambda value: None, *,
           note: str | None = None, destination: dict | None = None):
    """(results-store data, alert) for a dropped audio file: its sound neighbours (background job).

    note: the page's sentence on the drop (several files dropped, only this one sent), said after the answer's.
    destination: `destination-store`; its tracks are left out of the neighbours.
    """
    from ui.sound import analyse_upload

    if not contents:
        return no_update, no_update

    def noted(message: str) -> str:
        return f"{message} {note}" if note else message

    try:
        result = analyse_upload(settings, contents, filename or "upload",
                                progress=lambda step, total, what: set_progress((str(step), f"{what}…")),
                                exclude=destination_ids(destination))
    except CratediggerError as error:
        return no_update, alert(noted(str(error)), "error" if error.exit_code == 2 else "warning")
    except Exception:  # never a stack trace on the page; the log keeps it  # noqa: BLE001
        log.exception("analysing the upload %s failed", filename)
        return no_update, alert(noted(f"{filename or 'The file'} could not be analysed (an unexpected error, logged "
                                      "on the server). Try another copy or another format."), "error")
    conn = open_catalog(settings)
    try:
        candidates = cards_for(conn, [(t, {"sound_score": s, "engine": "sound"}) for t, s in result["neighbours"]])
    finally:
        conn.close()
    query = result["query"]
    facts = f"{filename}: {tempo_fact(query) or 'tempo unknown'}, {query['key']} ({query['camelot']})."
    if result.get("note"):  # analysed, but nothing to compare it with
        message, level = f"{facts} {result['note']}", "warning"
    else:
        message, level = f"{facts} Answered from sound: tracks whose audio is closest to it.", "info"
    return {"query": query, "seeds": [], "candidates": candidates, "message": message, "level": level,
            "answer_id": new_answer_id()}, alert(noted(message), level)


def controls_from(n, blend, bpm, styles, flags, picks, destination=None) -> Controls:
    """The ranking controls; `destination` (`destination-store`) hides the destination playlist's tracks."""
    flags = set(flags or [])
    held = frozenset((destination or {}).get("track_ids") or ())
    return Controls(
        n=int(n or 20),
        blend=float(blend or 0.0),
        bpm_percent=float(bpm) if bpm else None,
        allow_half_double="half_double" in flags,
        harmonic_only="harmonic" in flags,
        one_per_artist="one_per_artist" in flags,
        styles=tuple(styles or ()),
        hide=held | (frozenset(p["track_id"] for p in picks or []) if "hide_picked" in flags else frozenset()),
    )


def full_title(track: dict) -> str:
    """'Title (Version)', or the title alone."""
    return track.get("title", "") + (f" ({track['version']})" if track.get("version") else "")


def table_row(row: dict) -> dict:
    """A ranked candidate → the results table's cells (`id` is the track id)."""
    key = row.get("camelot") or ""
    mark = _HARMONY_MARK.get(row.get("harmony", "unknown"), "")
    return {
        "id": row["track_id"],
        "rank": row["rank"],
        "artist": row.get("artist", ""),
        "title_version": full_title(row),
        "evidence": row.get("evidence", ""),
        "bpm": round(row["bpm"]) if row.get("bpm") else None,
        "beat": _beat(row),  # the BPM cell's tooltip
        "key_badge": f"{key} {mark}".strip(),
        "harmony": row.get("harmony", "unknown"),
        "style": ", ".join(row.get("styles") or []),
        "final_score": row.get("final_score"),
        "like": f"[👍](#like-{row['track_id']} \"more like this\")",
        "dislike": f"[👎](#dislike-{row['track_id']} \"not this, less like it\")",
    }


def _beat(row: dict) -> str:
    """Why a candidate has a BPM or not: "" (it has one), "none" (analysed: no clear beat), "unanalysed" (audio
    fetched with `fetch-audio --no-analyze`) or "unknown" (no audio)."""
    if row.get("bpm"):
        return ""
    if row.get("no_clear_beat"):
        return "none"
    return "unanalysed" if row.get("audio_path") else "unknown"


def ranked_rows(store: dict | None, controls: Controls, feedback: dict | None) -> list[dict]:
    if not store or not store.get("candidates"):
        return []
    feedback = feedback or {}
    return rank(
        store["candidates"],
        store.get("query") or {},
        controls,
        Feedback(liked=tuple(feedback.get("liked", [])), disliked=tuple(feedback.get("disliked", []))),
    )


def tempo_fact(track: dict) -> str | None:
    """'126 BPM', 'no clear beat' for a track or upload whose analysis found none, or None (not analysed)."""
    if track.get("bpm"):
        return f"{track['bpm']:.0f} BPM"
    return "no clear beat" if track.get("no_clear_beat") else None


def tempo_and_key(track: dict) -> list[str]:
    facts = [tempo_fact(track)] if tempo_fact(track) else []
    if track.get("key"):
        facts.append(f"{track['key']} / {track.get('camelot') or '?'}")
    return facts


KEYS_SHOWN = 6  # QA: a crate of 100 tracks listed 23 keys


def seeds_summary(seeds: list[dict]) -> list[str]:
    """Facts of several seeds together: their BPM range and their keys (the commonest KEYS_SHOWN, then a count)."""
    bpms = sorted(round(s["bpm"]) for s in seeds if s.get("bpm"))
    keys = Counter(s["camelot"] for s in seeds if s.get("camelot"))
    facts = [f"{bpms[0]}–{bpms[-1]} BPM" if bpms[0] != bpms[-1] else f"{bpms[0]} BPM"] if bpms else []
    shown = ", ".join(key for key, _ in keys.most_common(KEYS_SHOWN))
    more = f" and {len(keys) - KEYS_SHOWN} more keys" if len(keys) > KEYS_SHOWN else ""
    return facts + ([shown + more] if keys else [])


def query_card(store: dict | None, *, player: bool = False):
    query = (store or {}).get("query")
    if not query:
        return html.Div("Paste a track to start digging.", className="muted")
    seeds = (store or {}).get("seeds") or []  # each track once (catalog.seeds.resolve_seeds)
    several = len(seeds) > 1
    track = query if several or not seeds else {**query, **seeds[0]}
    facts = seeds_summary(seeds) if several else tempo_and_key(track)
    if track.get("styles") and not several:
        facts.append(", ".join(track["styles"]))
    if query.get("source"):
        facts.append(f"from {query['source']}")
    children = [
        html.Img(src=track["artwork"], alt="album artwork", className="artwork")
        if player and track.get("artwork") and not several else None,
        html.Div("" if several else track.get("artist", ""), className="query-artist"),
        html.Div(f"{len(seeds)} tracks" if several else full_title(track), className="query-title"),
        html.Div(" · ".join(facts), className="query-facts"),
    ]
    if several:
        children.append(html.Ol([html.Li(" · ".join([f"{s['artist']} – {full_title(s)}", *tempo_and_key(s)]))
                                 for s in seeds], className="query-seeds"))
    if track.get("is_demo"):
        children.append(html.Div("demo track — never sent to Spotify", className="badge demo-badge"))
    elif track.get("spotify_id") and player and not several:
        children.append(html.Iframe(src=f"https://open.spotify.com/embed/track/{track['spotify_id']}",
                                    className="spotify-embed", title="Spotify player"))
    return children


def merge_picks(selected_ids: list | None, drawn_ids: list | None, picks: list | None, candidates: list) -> list:
    """Picks after the table's selection changed: what the DJ ticked or unticked since the table's ticks were
    last known (`drawn_ids`: as the server drew them, or as the last tick left them) is added or removed;
    every other pick stays, shown or not.

    Only the difference counts, so a redraw that arrives after a tick (drawn from the picks before it: its
    selection equals its drawn ticks) changes nothing, where reading the whole selection dropped that tick.
    """
    selected, drawn = set(selected_ids or []), set(drawn_ids or [])
    unticked = drawn - selected
    kept = [p for p in picks or [] if p["track_id"] not in unticked]
    have = {p["track_id"] for p in kept}
    by_id = {c["track_id"]: c for c in candidates}
    for track_id in selected_ids or []:
        if track_id not in have and track_id not in drawn and track_id in by_id:  # newly ticked
            c = by_id[track_id]
            kept.append({k: c.get(k) for k in ("track_id", "artist", "title", "version", "spotify_id", "is_demo",
                                                 "bpm", "camelot", "label", "audio_path")})
            have.add(track_id)
    return kept


def ticks(rows: list[dict], picks: list | None) -> tuple[list[int], list]:
    """(`selected_rows`, `selected_row_ids`) of the table for `rows`: exactly the picked ones.

    The table draws its boxes from the positions and reports the ids, so both are always set together.
    """
    picked = {p["track_id"] for p in picks or []}
    ticked = [(i, r["track_id"]) for i, r in enumerate(rows) if r["track_id"] in picked]
    return [i for i, _ in ticked], [track_id for _, track_id in ticked]


def vote(url_hash: str | None, feedback: dict | None) -> dict | None:
    """A 👍/👎 link (`#like-42`, `#dislike-42`) → the new feedback; None when the hash is no vote.

    A track is either liked or disliked: a new vote replaces the old one.
    """
    match = _VOTE.match(url_hash or "")
    if not match:
        return None
    feedback = {"liked": list((feedback or {}).get("liked", [])), "disliked": list((feedback or {}).get("disliked", []))}
    track_id = int(match.group(2))
    for bucket in ("liked", "disliked"):
        if track_id in feedback[bucket]:
            feedback[bucket].remove(track_id)
    feedback["liked" if match.group(1) == "like" else "disliked"].append(track_id)
    return feedback


def picks_view(picks: list | None):
    if not picks:
        return "Tick tracks in the table to pick them."
    items = [html.Li(f"{p['artist']} – {p['title']}") for p in picks]
    return [html.Div(f"{len(picks)} picked", className="muted"), html.Ol(items)]


def spotify_uris(picks: list | None) -> str:
    return "\n".join(f"spotify:track:{p['spotify_id']}" for p in picks or [] if p.get("spotify_id") and not p.get("is_demo"))


def preview_for(active_cell: dict | None, store: dict | None, *, player: bool = False):
    """A player for the clicked row: its cached audio, else Spotify's player (real tracks only)."""
    if not active_cell or active_cell.get("row_id") is None:
        return html.Div("Click a row to preview it.", className="muted small")
    by_id = {c["track_id"]: c for c in (store or {}).get("candidates", [])}
    track = by_id.get(active_cell["row_id"])
    if track is None:
        return None
    name = f"{track.get('artist', '')} – {track.get('title', '')}"
    if track.get("audio_path"):
        return html.Div([html.Div(name, className="small"),
                         html.Audio(src=f"/audio/{track['track_id']}", controls=True, autoPlay=True,
                                    id="preview-audio")])
    if track.get("spotify_id") and not track.get("is_demo") and player:
        return html.Iframe(src=f"https://open.spotify.com/embed/track/{track['spotify_id']}",
                           className="spotify-embed", title=f"Spotify player: {name}")
    return html.Div(f"No preview for {name} yet (no audio cached; run `python cli.py fetch-audio`).",
                    className="muted small")


def figure_for(tab: str, store: dict | None, rows: list[dict], picks: list | None):
    query = (store or {}).get("query") or {}
    if tab == "spectrogram":
        return figures.spectrogram(query)
    if not rows:
        return figures.empty_figure("Results will be drawn here.")
    picked = {p["track_id"] for p in picks or []}
    if tab == "bpm-key":
        return figures.bpm_key_scatter(query, rows)
    if tab == "styles":
        return figures.style_bars(rows)
    return figures.neighbourhood_map(query, rows, picked)


# -- wiring -----------------------------------------------------------------------------------------
def register_callbacks(app, settings, loader, sound_loader=None) -> None:
    app.callback(Output("search-suggestions", "children"), Input("search-input", "value"), State("tab-id", "data"))(
        lambda text, tab: suggestions_for(settings, text, tab)
    )

    @app.callback(
        Output("results-store", "data"),
        Output("search-alert", "children"),
        Output("search-input", "value"),
        Output("feedback-store", "data"),
        Input("search-button", "n_clicks"),
        Input("search-input", "n_submit"),
        Input({"type": "example-chip", "index": ALL}, "n_clicks"),
        State("search-input", "value"),
        State("destination-store", "data"),
        prevent_initial_call=True,
    )
    def on_search(_clicks, _submit, chip_clicks, text, destination):
        chip = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
        if chip is not None and not any(chip_clicks or []):
            return no_update, no_update, no_update, no_update  # chips being drawn, not clicked
        if chip is not None:
            text = f"spotify:track:{chip['index']}"
        store, message = search(settings, loader, text, sound_loader, destination)
        return store, message, text if chip is not None else no_update, {"liked": [], "disliked": []}

    app.callback(Output("again-store", "data"), Input("destination-store", "data"),
                 State("results-store", "data"), State("search-input", "value"), prevent_initial_call=True)(
        lambda destination, store, typed: again_store(settings, loader, store, sound_loader, destination, typed))
    app.clientside_callback(ClientsideFunction(namespace="cratedigger", function_name="applyAgain"),
                            Output("results-store", "data", allow_duplicate=True),
                            Output("search-alert", "children", allow_duplicate=True),
                            Input("again-store", "data"), State("results-store", "data"), prevent_initial_call=True)

    @app.callback(
        Output("results-store", "data", allow_duplicate=True),
        Output("search-alert", "children", allow_duplicate=True),
        Output("upload-audio", "contents"),
        Input("upload-audio", "contents"),
        State("upload-audio", "filename"),
        State("upload-note", "data"),
        State("destination-store", "data"),
        background=True,
        interval=300,  # ms between the page's polls of the job; the warm worker answers in a few hundred
        running=[(Output("upload-progress-row", "hidden"), False, True)],
        progress=[Output("upload-progress", "value"), Output("upload-progress-label", "children")],
        cancel=[Input("upload-cancel", "n_clicks")],
        prevent_initial_call=True,
    )
    def on_upload(set_progress, contents, filename, note, destination):
        if not contents:  # the emptying below fires this again: nothing to do, nothing to empty
            return no_update, no_update, no_update
        return *upload(settings, contents, filename, set_progress, note=note, destination=destination), None  # emptied: the same file can come again

    app.callback(Output("upload-audio", "contents", allow_duplicate=True), Input("upload-cancel", "n_clicks"),
                 prevent_initial_call=True)(lambda _clicks: None)

    @app.callback(
        Output("results-table", "data"),
        Output("results-table", "selected_rows"),
        Output("results-table", "selected_row_ids"),
        Output("query-card", "children"),
        Output("control-styles", "options"),
        Output("figure-graph", "figure"),
        Output("ticks-drawn", "data"),
        Input("results-store", "data"),
        Input("control-n", "value"),
        Input("control-blend", "value"),
        Input("control-bpm", "value"),
        Input("control-styles", "value"),
        Input("control-flags", "value"),
        Input("feedback-store", "data"),
        Input("picks-store", "data"),
        Input("figure-tabs", "value"),
        Input("destination-store", "data"),
        State("results-table", "selected_rows"),
        State("results-table", "selected_row_ids"),
    )
    def on_controls(store, n, blend, bpm, styles, flags, feedback, picks, tab, destination, shown_rows, shown_ids):
        """Table, query card and figure in one answer (one round trip a query, and one callback draws the
        figure, so a late answer can never leave the table and the figure disagreeing)."""
        rows = ranked_rows(store, controls_from(n, blend, bpm, styles, flags, picks, destination), feedback)
        positions, ids = ticks(rows, picks)
        unchanged = positions == (shown_rows or []) and ids == (shown_ids or [])  # no picks round trip
        style_options = sorted({s for c in (store or {}).get("candidates", []) for s in c.get("styles") or []})
        return ([table_row(r) for r in rows],
                no_update if unchanged else positions, no_update if unchanged else ids,
                query_card(store, player=spotify_player_available(settings)), style_options,
                figure_for(tab, store, rows, picks), ids)

    @app.callback(
        Output("picks-store", "data"),
        Output("ticks-drawn", "data", allow_duplicate=True),
        Input("results-table", "selected_row_ids"),
        State("ticks-drawn", "data"),
        State("picks-store", "data"),
        State("results-store", "data"),
        prevent_initial_call=True,
    )
    def on_pick(selected, drawn, picks, store):
        """Picks after a tick or untick; the ticks now shown become the reference for the next one (a tick
        and its untick before the redraw both count)."""
        merged = merge_picks(selected, drawn, picks, (store or {}).get("candidates", []))
        return (no_update if merged == (picks or []) else merged), list(selected or [])  # unchanged: no redraw

    app.callback(Output("picks-list", "children"), Input("picks-store", "data"))(picks_view)
    app.callback(Output("export-copy-uris", "content"), Input("export-copy-uris", "n_clicks"),
                 State("picks-store", "data"), prevent_initial_call=True)(lambda _n, picks: spotify_uris(picks))

    @app.callback(
        Output("feedback-store", "data", allow_duplicate=True),
        Output("feedback-url", "hash"),
        Input("feedback-url", "hash"),
        State("feedback-store", "data"),
        prevent_initial_call=True,
    )
    def on_vote(url_hash, feedback):
        new = vote(url_hash, feedback)
        return (no_update, no_update) if new is None else (new, "")  # clearing the hash lets the link work again

    @app.callback(
        Output("export-download", "data"),
        Output("export-status", "children"),
        Input("export-csv", "n_clicks"),
        Input("export-m3u", "n_clicks"),
        Input("export-rekordbox", "n_clicks"),
        State("picks-store", "data"),
        State("export-name", "value"),
        prevent_initial_call=True,
    )
    def on_export_file(_csv, _m3u, _rekordbox, picks, name):
        fmt = {"export-csv": "csv", "export-m3u": "m3u", "export-rekordbox": "rekordbox"}[ctx.triggered_id]
        download, message = export_file(settings, picks, fmt, name)
        return (download if download else no_update), alert(message, "info" if download else "warning")

    if settings.has_spotify_credentials:
        @app.callback(
            Output("export-status", "children", allow_duplicate=True),
            Output("destination-store", "data", allow_duplicate=True),
            Input("export-spotify", "n_clicks"),
            State("picks-store", "data"),
            State("export-name", "value"),
            State("export-public", "value"),
            State("destination-store", "data"),
            prevent_initial_call=True,
        )
        def on_export_spotify(_clicks, picks, name, public, destination):
            """Create a playlist of the picks, or add them to the destination (whose tracks, the new ones now
            among them, are read again so that the results leave them out)."""
            link = (destination or {}).get("link")
            message, url = export_spotify(settings, picks, name, "public" in (public or []), link)
            children = [message]
            if url:
                children += [" ", html.A("Open the playlist", href=url, target="_blank", id="export-playlist-link")]
            reread = read_destination(settings, link)[0] if link and url else None
            return alert(children, "info" if url else "warning"), reread or no_update

        @app.callback(
            Output("destination-store", "data"),
            Output("export-spotify", "children"),
            Output("export-public", "style"),  # a playlist you have keeps its own visibility
            Output("export-status", "children", allow_duplicate=True),
            Input("export-destination", "value"),
            prevent_initial_call="initial_duplicate",
        )
        def on_destination(link):
            """Read a pasted destination playlist: its tracks leave the results, and the button adds to it."""
            data, message = read_destination(settings, link)
            label = ADD_TO_PLAYLIST if data else CREATE_PLAYLIST
            public = {"display": "none"} if data else {}
            if not (link or "").strip():
                cleared = ctx.triggered_id == "export-destination"  # not the page's first call
                return None, label, public, (alert("No playlist to add to: the Spotify button creates a new one.",
                                                   "info") if cleared else no_update)
            return data, label, public, alert(message, "info" if data else "warning")

    app.callback(Output("results-preview", "children"), Input("results-table", "active_cell"),
                 State("results-store", "data"))(
        lambda cell, store: preview_for(cell, store, player=spotify_player_available(settings)))

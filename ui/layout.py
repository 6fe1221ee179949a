"""The dashboard's layout: one small function per section.

Component ids are kebab-case with an area prefix (`search-input`, `results-table`).
"""

from __future__ import annotations

import uuid

from dash import dash_table, dcc, html

from audio.decode import SUPPORTED_SUFFIXES
from ui.export import LABEL

RESULT_COLUMNS = [
    {"id": "rank", "name": "#", "type": "numeric"},
    {"id": "like", "name": "👍", "presentation": "markdown"},
    {"id": "dislike", "name": "👎", "presentation": "markdown"},
    {"id": "artist", "name": "Artist"},
    {"id": "title_version", "name": "Title"},
    {"id": "evidence", "name": "Why"},
    {"id": "bpm", "name": "BPM", "type": "numeric", "format": {"nully": "–"}},  # a tooltip says why it is blank
    {"id": "key_badge", "name": "Key"},
    {"id": "style", "name": "Style"},
    {"id": "final_score", "name": "Score", "type": "numeric", "format": {"specifier": ".2f"}},
]


UPLOAD_MAX_MB = 60  # the page sends a dropped file whole; bigger ones are refused in the browser
UPLOAD_TOO_BIG = ("{name} is {size} MB, over the {limit} MB limit for dropped files: "
                  "drop an MP3 of it or a shorter cut (30 s is enough).")
UPLOAD_NOT_AUDIO = "{name} is not an audio file Cratedigger reads ({formats}, …): export it as one of those."
# several items dropped at once, or a folder: the zone analyses one file (`assets/upload.js` fills the names)
UPLOAD_ONE_AT_A_TIME = "Drop one file at a time: only {name} is analysed; {others} not uploaded."
UPLOAD_FOLDER = "{name} is a folder: drop one audio file from it."
UPLOAD_NONE_OF_SEVERAL = ("None of the {count} items dropped is an audio file Cratedigger reads ({formats}, …, "
                          "up to {limit} MB): drop one audio file.")
UPLOAD_FORMATS = "mp3, wav, flac, aiff, m4a, ogg"  # the common ones, for messages
CREATE_PLAYLIST, ADD_TO_PLAYLIST = "Create Spotify playlist", "Add to the playlist"  # the Spotify button, by destination


def header(status_children) -> html.Header:
    return html.Header(
        className="app-header",
        children=[
            html.Div([html.Span("◉", className="logo-mark"), html.Span("Cratedigger", className="logo-text")],
                     className="logo"),
            html.Div(status_children, id="status-bar", className="status-bar"),
        ],
    )


def search_section(examples: list[dict]) -> html.Section:
    chips = [
        html.Button(f"{e['artist']} - {e['title']}", id={"type": "example-chip", "index": e["spotify_id"]},
                    className="chip", title=f"spotify:track:{e['spotify_id']}", n_clicks=0)
        for e in examples
    ]
    return html.Section(
        className="panel search-panel",
        children=[
            html.Label("Paste a Spotify track link, URI or ID — or type artist - title", htmlFor="search-input"),
            html.Div(
                className="search-row",
                children=[
                    dcc.Input(id="search-input", type="text", list="search-suggestions", autoFocus=True,
                              placeholder="https://open.spotify.com/track/…  ·  spotify:track:…  ·  Artist - Title",
                              debounce=False, className="search-input", autoComplete="off"),
                    html.Button("Dig", id="search-button", className="primary-button", n_clicks=0),
                ],
            ),
            html.Datalist(id="search-suggestions"),
            html.Div("Several tracks: paste them one per line, or separate them with ;", className="muted small hint"),
            html.Div(["Try: ", *chips], className="examples") if chips else None,
            upload_zone(),
            html.Div(id="search-alert", role="status", **{"aria-live": "polite"}),
        ],
    )


def upload_zone() -> html.Div:
    """The drop zone; `assets/upload.js` reads its `data-` limit and messages for what it refuses or narrows."""
    formats = ", ".join(suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES)
    return html.Div(className="upload", **{
        "data-max-bytes": UPLOAD_MAX_MB * 1024 * 1024,
        "data-too-big": UPLOAD_TOO_BIG.replace("{limit}", str(UPLOAD_MAX_MB)),
        "data-not-audio": UPLOAD_NOT_AUDIO.replace("{formats}", UPLOAD_FORMATS),
        "data-one-at-a-time": UPLOAD_ONE_AT_A_TIME,
        "data-folder": UPLOAD_FOLDER,
        "data-none-of-several": UPLOAD_NONE_OF_SEVERAL.replace("{formats}", UPLOAD_FORMATS)
                                                      .replace("{limit}", str(UPLOAD_MAX_MB))}, children=[
        dcc.Upload(
            id="upload-audio",
            className="upload-zone",
            className_active="upload-zone-active",  # added while a file is dragged over (instead of Dash's light-grey default)
            className_reject="upload-zone-reject",  # added while the dragged file is of a type the zone does not take
            # The trailing empty type takes files the browser cannot type (no extension, or one it does not
            # know): the server sniffs their content and names the problem if it is not audio. A typed
            # non-audio file (text, PDF, image) is refused here and `assets/upload.js` says why.
            accept=",".join(SUPPORTED_SUFFIXES) + ",audio/*,",
            max_size=UPLOAD_MAX_MB * 1024 * 1024,
            children=html.Div(["Drop an audio file or ", html.Span("choose one", className="link"),
                               " to find tracks that sound like it",
                               html.Div(f"{formats} · up to {UPLOAD_MAX_MB} MB", className="small")]),
        ),
        dcc.Store(id="upload-note"),  # `assets/upload.js`'s sentence on a drop it narrowed to one file, else None
        html.Div(id="upload-progress-row", className="progress-row", hidden=True, children=[
            html.Progress(id="upload-progress", value="0", max="5"),
            html.Span(id="upload-progress-label", className="muted small"),
            html.Button("Cancel", id="upload-cancel", className="button", n_clicks=0),
        ]),
    ])


def query_section() -> html.Section:
    return html.Section(id="query-card", className="panel query-card")


def controls_section() -> html.Section:
    return html.Section(
        className="panel controls",
        children=[
            html.Div([html.Label("Results"), dcc.Slider(id="control-n", min=5, max=50, step=5, value=20,
                                                         marks={5: "5", 20: "20", 50: "50"})], className="control"),
            html.Div([html.Label("DJ sets ↔ sound"), dcc.Slider(id="control-blend", min=0, max=1, step=0.1, value=0.3,
                                                                marks={0: "sets", 1: "sound"})], className="control"),
            html.Div([html.Label("BPM range ± %"), dcc.Slider(id="control-bpm", min=0, max=16, step=1, value=0,
                                                              marks={0: "off", 4: "4", 8: "8", 16: "16"})],
                     className="control"),
            html.Div([html.Label("Style"), dcc.Dropdown(id="control-styles", multi=True, placeholder="any style",
                                                         className="dark-dropdown")], className="control"),
            dcc.Checklist(
                id="control-flags",
                className="control flags",
                options=[
                    {"label": " harmonic mixing only", "value": "harmonic"},
                    {"label": " half/double time", "value": "half_double"},
                    {"label": " one per artist", "value": "one_per_artist"},
                    {"label": " hide picked", "value": "hide_picked"},
                ],
                value=["half_double"],
            ),
        ],
    )


def results_section() -> html.Section:
    return html.Section(
        className="panel results",
        children=[
            dash_table.DataTable(
                id="results-table",
                columns=RESULT_COLUMNS,
                data=[],
                row_selectable="multi",
                markdown_options={"link_target": "_self"},
                selected_row_ids=[],
                sort_action="native",
                tooltip_conditional=[  # why a BPM cell shows '–'
                    {"if": {"column_id": "bpm", "filter_query": '{beat} = "none"'},
                     "value": "No clear beat: its analysis found a key but no steady tempo."},
                    {"if": {"column_id": "bpm", "filter_query": '{beat} = "unanalysed"'},
                     "value": "Its audio is fetched but not analysed yet: `python cli.py analyze-audio` measures "
                              "its tempo and key."},
                    {"if": {"column_id": "bpm", "filter_query": '{beat} = "unknown"'},
                     "value": "Not analysed yet: Cratedigger has no audio of it (`python cli.py fetch-audio` "
                              "fetches and analyses it)."},
                ],
                tooltip_delay=300, tooltip_duration=None,
                page_action="none",
                cell_selectable=True,
                style_as_list_view=True,
                style_table={"overflowX": "auto"},
                style_cell={"backgroundColor": "#15171c", "color": "#e6e6e6", "border": "none",
                            "fontFamily": "Inter, system-ui, sans-serif", "fontSize": "13px", "padding": "6px 5px", "textAlign": "left",
                            "whiteSpace": "normal", "height": "auto", "lineHeight": "1.35"},
                style_cell_conditional=[
                    {"if": {"column_id": "evidence"}, "minWidth": "170px", "color": "#aeb4be"},
                    {"if": {"column_id": "title_version"}, "minWidth": "110px"},
                    {"if": {"column_id": ["rank", "bpm", "final_score", "key_badge"]}, "width": "44px",
                     "whiteSpace": "nowrap"},
                ],
                style_header={"backgroundColor": "#0d0e11", "color": "#9aa0aa", "fontWeight": "600",
                              "borderBottom": "1px solid #2a2d35"},
                style_data_conditional=[
                    {"if": {"state": "active"}, "backgroundColor": "#222631", "border": "1px solid #3d8bfd"},
                    {"if": {"filter_query": '{harmony} = "same"', "column_id": "key_badge"}, "color": "#3ddc97"},
                    {"if": {"filter_query": '{harmony} = "compatible"', "column_id": "key_badge"}, "color": "#8fd3ff"},
                    {"if": {"filter_query": '{harmony} = "clash"', "column_id": "key_badge"}, "color": "#ff8a7a"},
                    {"if": {"column_id": ["like", "dislike"]}, "textAlign": "center", "width": "28px"},
                ],
                css=[{"selector": ".dash-spreadsheet-menu", "rule": "display: none"}],
            ),
            html.Div(id="results-preview", className="preview"),
        ],
    )


def spotify_export_row(spotify_state: str):
    """The Spotify half of the export panel; what it offers depends on set-up and login."""
    if spotify_state == "unconfigured":
        return html.Div(
            "Spotify export: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET for your own Spotify app "
            "(see the README). File exports work without it.", className="muted small")
    login = (html.A("Log in with Spotify", href="/spotify/login?next=/", id="export-spotify-login",
                    className="button")
             if spotify_state == "logged-out" else html.Span("Logged in to Spotify", className="muted small"))
    return html.Div(children=[
        html.Div(className="export-row", children=[
            dcc.Checklist(id="export-public", options=[{"label": " public", "value": "public"}], value=[],
                          className="flags inline"),
            html.Button(CREATE_PLAYLIST, id="export-spotify", className="primary-button", n_clicks=0),
            login,
        ]),
        html.Div(className="export-row", children=[
            dcc.Input(id="export-destination", type="text", debounce=True, className="text-input",
                      placeholder="or add to a playlist of yours: its Spotify link",
                      persistence=True, persistence_type="session"),
        ]),
    ])


def picks_section(spotify_state: str = "unconfigured") -> html.Section:
    return html.Section(
        className="panel picks",
        children=[
            html.H3("Picks"),
            html.Div(id="picks-list", className="picks-list", children="Tick tracks in the table to pick them."),
            html.Div(
                className="export-row",
                children=[
                    dcc.Input(id="export-name", type="text", value="Cratedigger picks", className="text-input",
                              placeholder="playlist name", persistence=True, persistence_type="session"),
                    *[html.Button(label, id=f"export-{fmt}", className="button", n_clicks=0)
                      for fmt, label in LABEL.items()],
                    dcc.Clipboard(id="export-copy-uris", title="copy Spotify URIs", className="clipboard"),
                ],
            ),
            spotify_export_row(spotify_state),
            html.Div(id="export-status", className="export-status", role="status"),
            dcc.Download(id="export-download"),
        ],
    )


def figures_section() -> html.Section:
    return html.Section(
        className="panel figures",
        children=[
            dcc.Tabs(
                id="figure-tabs",
                value="map",
                className="tabs",
                children=[
                    dcc.Tab(label="Neighbourhood", value="map", className="tab", selected_className="tab--selected"),
                    dcc.Tab(label="BPM × key", value="bpm-key", className="tab", selected_className="tab--selected"),
                    dcc.Tab(label="Styles", value="styles", className="tab", selected_className="tab--selected"),
                    dcc.Tab(label="Spectrogram", value="spectrogram", className="tab",
                            selected_className="tab--selected"),
                ],
            ),
            dcc.Graph(id="figure-graph", config={"displayModeBar": False}, className="figure"),
        ],
    )


def stores() -> list:
    return [
        # session storage: picks, results and 👍/👎 survive a reload and the Spotify login redirect
        dcc.Store(id="results-store", storage_type="session"),
        dcc.Store(id="tab-id", data=uuid.uuid4().hex),  # this page load's: whose keystrokes the autocomplete serves
        dcc.Store(id="again-store"),  # the query asked again for a new destination (ui.callbacks.again_store)
        dcc.Store(id="picks-store", data=[], storage_type="session"),
        dcc.Store(id="ticks-drawn", data=[]),  # the table's ticks as the server last drew them (ui.callbacks)
        dcc.Store(id="feedback-store", data={"liked": [], "disliked": []}, storage_type="session"),  # as the results
        dcc.Store(id="destination-store", data=None),  # ui.export.read_destination
        dcc.Location(id="feedback-url", refresh=False),  # 👍/👎 links set its hash
    ]


def page(status_children, examples: list[dict], spotify_state: str = "unconfigured") -> html.Div:
    return html.Div(
        className="app",
        children=[
            header(status_children),
            html.Main(
                className="grid",
                children=[
                    html.Div([search_section(examples), query_section(), controls_section()], className="left"),
                    html.Div([results_section(), figures_section()], className="center"),
                    html.Div([picks_section(spotify_state)], className="right"),
                ],
            ),
            *stores(),
        ],
    )

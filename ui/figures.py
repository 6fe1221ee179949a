"""Pure functions from the current results to Plotly figures (dark, DJ-software look)."""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter

import plotly.graph_objects as go

PALETTE = ["#3d8bfd", "#3ddc97", "#ffb347", "#ff6f91", "#b28dff", "#4dd0e1", "#f9f871", "#ff8a7a"]
_LAYOUT = dict(
    template="plotly_dark",
    paper_bgcolor="#15171c",
    plot_bgcolor="#15171c",
    margin=dict(l=40, r=10, t=30, b=40),
    height=360,
    font=dict(family="Inter, system-ui, sans-serif", size=12, color="#cfd3da"),
    legend=dict(orientation="h", y=-0.18),
)


@functools.cache
def _base_layout() -> dict:
    """`_LAYOUT` with its template resolved, as plain JSON: resolving "plotly_dark" costs ~7 ms a figure."""
    return go.Figure(layout=_LAYOUT).to_plotly_json()["layout"]


def _figure(**layout) -> go.Figure:
    """An empty figure in the house layout plus `layout` (ours, so not validated again: 1 ms, not 15)."""
    figure = go.Figure(layout=copy.deepcopy(_base_layout()), _validate=False)
    figure.update_layout(**layout)
    return figure


def empty_figure(message: str) -> go.Figure:
    return _figure(xaxis=dict(visible=False), yaxis=dict(visible=False),
                   annotations=[dict(text=message, showarrow=False, font=dict(size=14, color="#7c828d"))])


def _style_colours(rows: list[dict]) -> dict[str, str]:
    styles = sorted({(r.get("styles") or ["unknown"])[0] for r in rows})
    return {style: PALETTE[i % len(PALETTE)] for i, style in enumerate(styles)}


def _hover(row: dict) -> str:
    return f"{row.get('artist', '')} – {row.get('title', '')}"


def neighbourhood_map(query: dict, rows: list[dict], picked: set[int]) -> go.Figure:
    """Query and results on their precomputed 2-D coordinates (`x`, `y`), coloured by style."""
    placed = [r for r in rows if r.get("x") is not None]
    if not placed or query.get("x") is None:
        return empty_figure("No map for this query: the model has no coordinates for it.")
    colours = _style_colours(placed)
    figure = _figure(xaxis=dict(visible=False), yaxis=dict(visible=False))
    for style, colour in colours.items():
        members = [r for r in placed if (r.get("styles") or ["unknown"])[0] == style]
        figure.add_trace(go.Scatter(
            x=[r["x"] for r in members], y=[r["y"] for r in members], mode="markers", name=style,
            text=[_hover(r) for r in members], hoverinfo="text",
            marker=dict(color=colour, size=[14 if r["track_id"] in picked else 9 for r in members],
                        line=dict(width=[2 if r["track_id"] in picked else 0 for r in members], color="#ffffff")),
        ))
    figure.add_trace(go.Scatter(x=[query["x"]], y=[query["y"]], mode="markers+text", name="query",
                                text=["query"], textposition="top center", hovertext=[_hover(query)],
                                marker=dict(symbol="star", size=18, color="#ffffff")))
    return figure


def _camelot_position(code: str | None) -> float | None:
    match = re.match(r"^(\d+)([AB])$", code or "")
    if not match:
        return None
    return int(match.group(1)) + (0.3 if match.group(2) == "B" else 0.0)


def bpm_key_scatter(query: dict, rows: list[dict]) -> go.Figure:
    """BPM against Camelot position for the results; the query is a star."""
    known = [r for r in rows if r.get("bpm") and _camelot_position(r.get("camelot")) is not None]
    if not known:
        return empty_figure("No BPM or key known for these results yet (run `cli.py fetch-audio`).")
    colours = _style_colours(known)
    figure = _figure(xaxis=dict(title="Camelot key (A minor · B major)", tickmode="array",
                                tickvals=list(range(1, 13)), range=[0.5, 12.8]), yaxis=dict(title="BPM"))
    for style, colour in colours.items():
        members = [r for r in known if (r.get("styles") or ["unknown"])[0] == style]
        figure.add_trace(go.Scatter(
            x=[_camelot_position(r["camelot"]) for r in members], y=[r["bpm"] for r in members], mode="markers",
            name=style, text=[f"{_hover(r)}<br>{r['bpm']:.0f} BPM · {r['camelot']}" for r in members],
            hoverinfo="text", marker=dict(color=colour, size=9),
        ))
    if query.get("bpm") and _camelot_position(query.get("camelot")) is not None:
        figure.add_trace(go.Scatter(x=[_camelot_position(query["camelot"])], y=[query["bpm"]], mode="markers",
                                    name="query", marker=dict(symbol="star", size=18, color="#ffffff")))
    return figure


def style_bars(rows: list[dict]) -> go.Figure:
    """How the results split across styles."""
    counts = Counter((r.get("styles") or ["unknown"])[0] for r in rows)
    if not counts:
        return empty_figure("No results to summarise.")
    styles = [s for s, _ in counts.most_common()]
    colours = _style_colours(rows)
    figure = _figure(yaxis=dict(title="results"), showlegend=False)
    figure.add_trace(go.Bar(x=styles, y=[counts[s] for s in styles], marker_color=[colours[s] for s in styles]))
    return figure


def spectrogram(query: dict) -> go.Figure:
    """The query's log-mel spectrogram (when its audio was analysed)."""
    mel = query.get("spectrogram")
    if not mel:
        return empty_figure("No audio analysed for this query: drop its file above to see its spectrogram.")
    figure = _figure(xaxis=dict(title="time →", showticklabels=False),
                     yaxis=dict(title="mel band (low → high)", showticklabels=False))
    figure.add_trace(go.Heatmap(z=mel, colorscale="Magma", showscale=False, hoverinfo="skip"))
    return figure

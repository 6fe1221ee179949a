"""Small catalogs with a known answer, for the models tests (not a test module itself).

Two scenes that never mix: house sets play h1…h4 (h1 always right before h2), techno sets
play t1…t4. `h5` is played once, in a house set, and shares its artist with h1.
"""

from __future__ import annotations

from pathlib import Path

from catalog.db import connect
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from config import load_settings

SPOTIFY = {name: (name.upper() * 22)[:22] for name in ["h1", "h2", "h3", "h4", "h5", "t1", "t2", "t3", "t4"]}
ARTIST = {
    "h1": "House Artist",
    "h2": "Deep Person",
    "h3": "Garage Crew",
    "h4": "Disco Loop",
    "h5": "House Artist",
    "t1": "Techno Machine",
    "t2": "Warehouse Unit",
    "t3": "Acid Tester",
    "t4": "Dark Room",
}
LABEL = {"h1": "Deep Label", "h2": "Deep Label", "t1": "Hard Label", "t2": "Hard Label"}

HOUSE_SETS = [
    ["h1", "h2", "h3", "h4"],
    ["h3", "h1", "h2", "h4"],
    ["h1", "h2", "h4"],
    ["h4", "h3", "h1", "h2"],
    ["h2", "h3", "h4"],
    ["h1", "h2", "h3", "h5"],
]
TECHNO_SETS = [
    ["t1", "t2", "t3", "t4"],
    ["t2", "t1", "t4"],
    ["t3", "t4", "t1", "t2"],
    ["t1", "t3", "t2"],
    ["t4", "t3", "t2", "t1"],
    ["t2", "t3", "t4"],
]


def track(name: str) -> TrackRecord:
    return TrackRecord(
        artist=ARTIST[name], title=f"Tune {name.upper()}", label=LABEL.get(name), spotify_id=SPOTIFY[name]
    )


def build_catalog(data_dir: Path, sets: list[list[str]] | None = None) -> dict[str, int]:
    """Write the two-scene catalog under `data_dir`; returns track name → catalog track id."""
    sets = sets if sets is not None else HOUSE_SETS + TECHNO_SETS
    conn = connect(Path(data_dir) / "catalog.sqlite")
    for number, names in enumerate(sets, 1):
        scene = "House" if names[0].startswith("h") else "Techno"
        save_set(
            conn,
            SetRecord(
                source="test",
                source_key=f"set-{number}",
                title=f"{scene} set {number}",
                date=f"2020-01-{number:02d}",
                url=f"https://example.org/set-{number}",
                styles=[scene, *(["Warm Up"] if number % 3 == 0 else [])],
                plays=[PlayRecord(position=i, track=track(name)) for i, name in enumerate(names, 1)],
            ),
        )
    ids = {row["spotify_id"]: row["id"] for row in conn.execute("SELECT id, spotify_id FROM tracks")}
    conn.close()
    return {name: ids[sid] for name, sid in SPOTIFY.items() if sid in ids}


def settings_for(data_dir: Path):
    return load_settings(
        environ={"CRATEDIGGER_DATA_DIR": str(data_dir)}, dotenv_path=Path(data_dir) / "no.env"
    )

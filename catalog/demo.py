"""The demo crate: a deterministic synthetic world of DJ sets (same seed, same crate).

Six styles, each with scenes (a city and its residents), residents with signature
records they play again and again, anthems that cross scenes, tracks that DJs
habitually blend into one another (so "played next" has something to find),
ordered tracklists that build in tempo, partial tracklists with unknown IDs, and
a few fresh releases no set contains yet (cold start). Every track is flagged as
demo data and has a made-up Spotify-format ID that the real Spotify never sees.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import dataclass, field

from catalog.db import transaction
from catalog.keys import CAMELOT, KEYS
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_sets, upsert_track

DEFAULT_SEED = 7

@dataclass(frozen=True)
class Style:
    name: str
    bpm: tuple[int, int]
    minor_share: float
    cities: tuple[str, ...]
    venues: tuple[str, ...]
    labels: tuple[str, ...]
    title_words: tuple[str, ...]


STYLES: tuple[Style, ...] = (
    Style("House", (118, 125), 0.5, ("Chicago", "New York", "Paris"), ("The Loft Room", "Le Sous-Sol", "Warehouse 9"),
          ("Velvet Groove", "Soulstice", "Sunday Best Records", "Porchlight"),
          ("Love", "Sunday", "Soul", "Piano", "Groove", "Feeling", "Together", "Heart", "Music", "Gospel", "Light")),
    Style("Tech House", (124, 129), 0.7, ("Ibiza", "London", "Barcelona"), ("Cova Santa", "Fabrica", "Pier Club"),
          ("Bassline Social", "Rumble Box", "Hot Cuts", "Tool Shed"),
          ("Shake", "Jack", "Bounce", "Swing", "Rollin", "Shuffle", "Funk", "Body", "Hustle", "Tool", "Clap")),
    Style("Techno", (128, 140), 0.9, ("Berlin", "Detroit", "Tbilisi"), ("Kraftwerk Halle", "The Bunker", "Basement 33"),
          ("Ostgut Tonal", "Concrete Signal", "Hardwax Unit", "Tresor Noir"),
          ("Pulse", "Void", "Steel", "Machine", "Hypnosis", "Acid", "Transmission", "Control", "Dark", "System", "Iron")),
    Style("Drum & Bass", (170, 176), 0.8, ("Bristol", "London", "Melbourne"), ("Motion", "Fabric Room 1", "Sub Club"),
          ("Liquid Vein", "Amen Works", "Roll Deep Audio", "Metalhead Sound"),
          ("Roller", "Amen", "Reese", "Jungle", "Break", "Pressure", "Liquid", "Sirens", "Step", "Rinse", "Tempest")),
    Style("Trance", (134, 140), 0.75, ("Amsterdam", "Manchester", "Buenos Aires"), ("Gashouder", "Sankeys", "Crobar"),
          ("Uplift Audio", "Anthemic", "Armada Blue", "Euphoria Sound"),
          ("Euphoria", "Sky", "Forever", "Horizon", "Aurora", "Dream", "Ocean", "Eternal", "Angel", "Rise", "Stars")),
    Style("Breaks", (128, 136), 0.7, ("Brighton", "Los Angeles", "Leeds"), ("Concorde 2", "The Vault", "Hifi Club"),
          ("Breakbeat Kaos", "Finger Lickin", "Nu Skool Cuts", "Marine Parade"),
          ("Breakz", "Stomp", "Wobble", "Funky", "Smash", "Electro", "Robot", "Rocker", "Bass", "Swagger", "Snap")),
)

_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "dor", "sa", "ti", "nu", "el", "zo", "fen", "ar", "bel", "cor",
              "dan", "ek", "gri", "ho", "ja", "lux", "mar", "no", "pi", "qui", "ros", "sol", "tam", "ul", "vi")
_FIRST = ("Alex", "Mara", "Jonas", "Nia", "Theo", "Lena", "Kofi", "Ines", "Rafa", "Yuki", "Omar", "Sofia", "Finn",
          "Zara", "Luca", "Maya", "Ezra", "Ada", "Niko", "Vera", "Tariq", "Elif", "Bruno", "Ivy")
_SUFFIX = ("", "", "", " Unit", " Collective", " Sound System", " & The Machines", " Project")
_EXTRA = ("Dub", "Mix", "Edit", "Remix")


@dataclass
class DemoTrack:
    index: int
    artist: str
    title: str
    version: str | None
    label: str
    style: str
    bpm: float
    key: str
    spotify_id: str
    in_sets: bool = True

    @property
    def camelot(self) -> str:
        return CAMELOT[self.key]

    def record(self) -> TrackRecord:
        return TrackRecord(artist=self.artist, title=self.title, version=self.version, label=self.label,
                           spotify_id=self.spotify_id, is_demo=True)


@dataclass
class DemoCrate:
    seed: int
    tracks: list[DemoTrack]
    sets: list[SetRecord] = field(default_factory=list)


def demo_spotify_id(seed: int, index: int) -> str:
    """A stable 22-character base-62 ID for demo track `index` (never a real track's)."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(hashlib.sha256(f"cratedigger-demo:{seed}:{index}".encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, rest = divmod(number, 62)
        chars.append(alphabet[rest])
    return "".join(chars)


def _artist_name(rng: random.Random) -> str:
    if rng.random() < 0.45:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        return word + rng.choice(_SUFFIX)
    surname = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{rng.choice(_FIRST)} {surname}"


def _unique(rng: random.Random, make, taken: set[str]) -> str:
    while True:
        value = make(rng)
        if value.lower() not in taken:
            taken.add(value.lower())
            return value


def _make_tracks(rng: random.Random, seed: int, tracks_per_style: int) -> list[DemoTrack]:
    tracks: list[DemoTrack] = []
    artist_names: set[str] = set()
    titles: set[str] = set()
    for style in STYLES:
        artists = [_unique(rng, _artist_name, artist_names) for _ in range(tracks_per_style // 6)]
        for _ in range(tracks_per_style):
            artist = rng.choice(artists)
            if rng.random() < 0.12:
                artist = f"{artist} feat. {rng.choice(artists)}" if rng.random() < 0.5 else f"{artist} & {rng.choice(artists)}"

            def title_of(r: random.Random, words=style.title_words) -> str:
                first = r.choice(words)
                second = "".join(r.choice(_SYLLABLES) for _ in range(2)).capitalize()
                return r.choice((f"{first} {second}", f"{second} {first}", f"The {first}", f"{first} of {second}"))

            title = _unique(rng, title_of, titles)
            version = None
            if rng.random() < 0.25:
                version = f"{rng.choice(artists).split(' feat.')[0]} {rng.choice(_EXTRA)}"
            minor = rng.random() < style.minor_share
            key = rng.choice([k for k in KEYS if k.endswith("minor" if minor else "major")])
            bpm = float(rng.randint(*style.bpm))
            index = len(tracks)
            tracks.append(DemoTrack(index, artist, title, version, rng.choice(style.labels), style.name, bpm, key,
                                    demo_spotify_id(seed, index)))
    return tracks


def _weighted_pick(rng: random.Random, pool: list[DemoTrack], weights: list[float], taken: set[int]) -> DemoTrack:
    for _ in range(20):
        track = rng.choices(pool, weights=weights, k=1)[0]
        if track.index not in taken:
            return track
    return rng.choice([t for t in pool if t.index not in taken] or pool)


def build_demo_crate(seed: int = DEFAULT_SEED, *, n_sets: int = 1600, tracks_per_style: int = 700) -> DemoCrate:
    """Generate the demo crate in memory; the same arguments give the same crate."""
    rng = random.Random(seed)
    tracks = _make_tracks(rng, seed, tracks_per_style)
    by_style = {s.name: [t for t in tracks if t.style == s.name] for s in STYLES}
    # Fresh releases: ~4% of each style appears in no set (the cold-start showcase).
    for pool in by_style.values():
        for track in rng.sample(pool, k=len(pool) // 25):
            track.in_sets = False
    playable = {name: [t for t in pool if t.in_sets] for name, pool in by_style.items()}
    anthems = [t for name in playable for t in rng.sample(playable[name], k=8)]
    # Habitual blends: a track's favourite follower within its style.
    partner = {t.index: rng.choice(playable[t.style]) for pool in playable.values() for t in pool}

    scenes = []
    for style in STYLES:
        pool = playable[style.name]
        for city, venue in zip(style.cities, style.venues, strict=True):
            scene_tracks = rng.sample(pool, k=int(len(pool) * 0.45))
            weights = [1.0 / (rank + 3) ** 0.9 for rank in range(len(scene_tracks))]  # power-law popularity
            residents = [_artist_name(rng) for _ in range(rng.randint(5, 8))]
            signatures = {dj: rng.sample(scene_tracks[:150], k=rng.randint(10, 18)) for dj in residents}
            scenes.append((style, city, venue, scene_tracks, weights, residents, signatures))

    sets: list[SetRecord] = []
    style_weights = {name: [1.0 / (rank + 5) for rank in range(len(pool))] for name, pool in playable.items()}
    neighbours = {s.name: STYLES[(i + 1) % len(STYLES)].name for i, s in enumerate(STYLES)}
    for set_index in range(n_sets):
        style, city, venue, scene_tracks, weights, residents, signatures = rng.choice(scenes)
        dj = rng.choice(residents)
        if rng.random() < 0.15:
            other_dj = rng.choice(residents)  # the same draws as ever, so the crate stays the same for a seed
            dj = f"{dj} b2b {other_dj}" if other_dj != dj else dj
        length = rng.randint(10, 24)
        chosen: list[DemoTrack] = []
        taken: set[int] = set()
        while len(chosen) < length:
            roll = rng.random()
            main_dj = dj.split(" b2b ")[0]
            if roll < 0.30:
                track = rng.choice(signatures[main_dj])
            elif roll < 0.78:
                track = _weighted_pick(rng, scene_tracks, weights, taken)
            elif roll < 0.90:
                track = _weighted_pick(rng, playable[style.name], style_weights[style.name], taken)
            elif roll < 0.95:
                track = rng.choice(anthems)
            else:
                other = neighbours[style.name]
                track = _weighted_pick(rng, playable[other], style_weights[other], taken)
            if track.index in taken:
                continue
            chosen.append(track)
            taken.add(track.index)
            follower = partner[track.index]
            if rng.random() < 0.35 and follower.index not in taken and len(chosen) < length:
                chosen.append(follower)
                taken.add(follower.index)
        # DJs build: order by tempo with some freedom, keeping habitual pairs adjacent.
        jitter = {t.index: t.bpm + rng.uniform(-3, 3) for t in chosen}
        groups: list[list[DemoTrack]] = []
        for track in chosen:
            if groups and partner[groups[-1][-1].index].index == track.index:
                groups[-1].append(track)
            else:
                groups.append([track])
        groups.sort(key=lambda g: jitter[g[0].index])
        ordered = [t for g in groups for t in g]

        year = rng.randint(2012, 2025)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        date = f"{year}-{month:02d}-{day:02d}"
        show = rng.random() < 0.2
        title = f"{date} - {dj} - {style.name} Sessions" if show else f"{date} - {dj} @ {venue}, {city}"
        partial = rng.random() < 0.2
        plays, unknown = [], 0
        for position, track in enumerate(ordered, start=1):
            if partial and rng.random() < 0.2:
                unknown += 1  # an 'ID - ID' line: counted, never a track
                continue
            plays.append(PlayRecord(position=position, track=track.record(), cue=None,
                                    raw_line=f"{track.artist} - {track.title}"
                                    + (f" ({track.version})" if track.version else "") + f" [{track.label}]"))
        sets.append(SetRecord(
            source="demo", source_key=f"demo-{seed}-{set_index:05d}", title=title, plays=plays, date=date,
            djs=dj.split(" b2b "), venue=None if show else venue, city=None if show else city,
            show=f"{style.name} Sessions" if show else None, styles=[style.name],
            tracklist_complete=not partial, n_unknown=unknown, is_demo=True,
        ))
    return DemoCrate(seed=seed, tracks=tracks, sets=sets)


def save_demo_crate(conn: sqlite3.Connection, crate: DemoCrate) -> None:
    """Store the crate's sets, its unplayed tracks, and every track's known tempo and key."""
    save_sets(conn, crate.sets)
    with transaction(conn):
        for track in crate.tracks:
            track_id = upsert_track(conn, track.record())
            conn.execute(
                "UPDATE tracks SET tempo = ?, musical_key = ?, camelot = ?, key_confidence = 1.0 WHERE id = ?",
                (track.bpm, track.key, track.camelot, track_id),
            )

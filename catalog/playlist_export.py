"""Writing a playlist to files a DJ's software reads: CSV, M3U8 and rekordbox XML (no Spotify needed).

`load_export_tracks(conn, refs)` resolves what the user picked (catalog track ids, Spotify IDs, URIs
or links) to `ExportTrack`s in order; `write_csv`, `write_m3u8` and `write_rekordbox_xml` write them
and return an `ExportReport` naming what could not be included (and why).

rekordbox XML follows the structure of a real rekordbox 6 export: `DJ_PLAYLISTS/PRODUCT`,
`COLLECTION` with one `TRACK` per file (`Location` a percent-encoded `file://localhost/` URL), then
`PLAYLISTS/NODE[@Type=0 @Name=ROOT]/NODE[@Type=1 @KeyType=0]` with `<TRACK Key=TrackID/>` in play order.
rekordbox only imports tracks whose file it can find, so tracks without a local file are left out of
the XML (they belong in the CSV/M3U8 exports).
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from config import user_path
from errors import BadInputError

FORMATS = ("csv", "m3u", "rekordbox")
_KINDS = {".mp3": "MP3 File", ".wav": "WAV File", ".aiff": "AIFF File", ".aif": "AIFF File", ".flac": "FLAC File",
          ".m4a": "M4A File", ".mp4": "M4A File", ".ogg": "OGG File", ".alac": "ALAC File"}


@dataclass
class ExportTrack:
    """One track to export; every field but a name may be unknown."""

    artist: str
    title: str
    version: str | None = None
    spotify_id: str | None = None
    isrc: str | None = None
    duration_ms: int | None = None
    tempo: float | None = None  # BPM
    musical_key: str | None = None  # e.g. 'A minor'
    camelot: str | None = None
    label: str | None = None
    audio_path: str | None = None
    is_demo: bool = False
    track_id: int | None = None

    @property
    def display_title(self) -> str:
        return f"{self.title} ({self.version})" if self.version else self.title

    @property
    def display(self) -> str:
        return f"{self.artist} - {self.display_title}" if self.artist else self.display_title

    @property
    def spotify_url(self) -> str | None:
        return f"https://open.spotify.com/track/{self.spotify_id}" if self.spotify_id else None

    @property
    def local_file(self) -> Path | None:
        if self.audio_path and Path(self.audio_path).is_file():
            return Path(self.audio_path).resolve()
        return None


@dataclass
class ExportReport:
    """What an export wrote: `written` tracks to `path`; `skipped` as ('Artist - Title', reason) pairs."""

    path: Path
    written: int
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def left_out(self) -> dict[str, list[str]]:
        """The left-out tracks' names by reason, in order."""
        by_reason: dict[str, list[str]] = {}
        for name, reason in self.skipped:
            by_reason.setdefault(reason, []).append(name)
        return by_reason

    def lines(self) -> list[str]:
        out = [f"Wrote {counted(self.written, 'track')} to {self.path}"]
        for reason, names in self.left_out().items():
            out.append(f"Left out {counted(len(names), 'track')}, {reason}:")
            out += [f"  {name}" for name in names]
        return out


def counted(n: int, noun: str) -> str:
    """'1 track', '2 tracks'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def parse_track_refs(text: str) -> list[str]:
    """Refs from a comma/space/newline separated string or the lines of a file (`#` comments, CSV first column)."""
    from textfile import read_text

    path = user_path(text)
    if len(text) < 4096 and _is_file(path):
        lines = read_text(path).splitlines()  # UTF-8, UTF-16 (a Windows export) or a Latin-1 line alike
        refs = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            first = next(csv.reader([line]))[0].strip()
            if first.lower() in {"track_id", "id", "spotify_id", "uri", "url"}:
                continue  # a header row
            refs.append(first)
        return refs
    if len(text) < 4096 and ("/" in text or "\\" in text or path.suffix.lower() in _LIST_SUFFIXES) and (
        "spotify" not in text.lower()
    ):
        raise BadInputError(f"--tracks {text}: no such file. Give a file with one track per line, or catalog ids or "
                            "Spotify links separated by commas.")
    return [part for part in text.replace(",", " ").split() if part]


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; False for text no file can be named (`id,id,…` longer than a file name may be)."""
    try:
        return path.is_file()
    except OSError:
        return False


_LIST_SUFFIXES = {".txt", ".csv", ".tsv", ".m3u", ".m3u8", ".json", ".list"}


def load_export_tracks(
    conn: sqlite3.Connection, refs: list[str], *, audio_cache: Path | None = None
) -> list[ExportTrack]:
    """The catalog tracks named by `refs` (catalog ids, or Spotify IDs/URIs/links), in the given order, each once.

    A Spotify track not in the catalog is exported from the lookup cache, or with its link alone.
    Audio under `audio_cache` (the data folder's `audio/`: 30-second previews Cratedigger downloaded, uploads,
    synthesised demo clips) is not the DJ's file of the track, so such a track is exported without a local file.
    Raises `BadInputError` naming every ref that is malformed or an unknown catalog id.
    """
    from spotify.ids import parse_spotify_ref

    if not refs:
        raise BadInputError("No tracks to export: give catalog track ids or Spotify track links/IDs (or a file of them).")
    tracks, bad = [], []
    for ref in refs:
        if ref.isdigit() and len(ref) < 22:
            row = conn.execute("SELECT * FROM tracks WHERE id = ?", (int(ref),)).fetchone()
            if row is None:
                bad.append(f"{ref} (no catalog track with this id)")
                continue
            tracks.append(_from_row(row))
            continue
        try:
            spotify_id = parse_spotify_ref(ref).spotify_id
        except BadInputError:
            bad.append(f"{ref} (neither a catalog id nor a Spotify track)")
            continue
        row = conn.execute("SELECT * FROM tracks WHERE spotify_id = ? ORDER BY is_demo, id LIMIT 1",
                           (spotify_id,)).fetchone()
        tracks.append(_from_row(row) if row is not None else _from_lookup(conn, spotify_id))
    if bad:
        raise BadInputError("Cannot export these tracks: " + "; ".join(bad) + ".")
    if audio_cache is not None:
        for track in tracks:
            if track.audio_path and is_within(Path(track.audio_path), Path(audio_cache)):
                track.audio_path = None
    return _each_once(tracks)


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path` (symbolic links followed) lies under `folder`; False when it cannot be resolved."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _each_once(tracks: list[ExportTrack]) -> list[ExportTrack]:
    """`tracks` without repeats (one catalog track named by id and by Spotify ID, say), first place kept."""
    seen, out = set(), []
    for track in tracks:
        identity = ("catalog", track.track_id) if track.track_id is not None else ("spotify", track.spotify_id)
        if identity not in seen:
            seen.add(identity)
            out.append(track)
    return out


def _from_row(row: sqlite3.Row) -> ExportTrack:
    return ExportTrack(
        artist=row["artist"], title=row["title"], version=row["version"], spotify_id=row["spotify_id"],
        isrc=row["isrc"], duration_ms=row["duration_ms"], tempo=row["tempo"], musical_key=row["musical_key"],
        camelot=row["camelot"], label=row["label"], audio_path=row["audio_path"], is_demo=bool(row["is_demo"]),
        track_id=row["id"],
    )


def _from_lookup(conn: sqlite3.Connection, spotify_id: str) -> ExportTrack:
    import json

    row = conn.execute("SELECT body FROM spotify_lookups WHERE spotify_id = ?", (spotify_id,)).fetchone()
    if row is None:
        return ExportTrack(artist="", title=f"spotify:track:{spotify_id}", spotify_id=spotify_id)
    body = json.loads(row[0])
    return ExportTrack(
        artist=", ".join(a.get("name", "") for a in body.get("artists") or []),
        title=body.get("name") or spotify_id,
        spotify_id=spotify_id,
        isrc=(body.get("external_ids") or {}).get("isrc"),
        duration_ms=body.get("duration_ms"),
    )


def _prepare(path: Path | str) -> Path:
    """The file to write for `path`: a symbolic link's target (replacing the link with a file would leave the file
    it points at stale), checked to be neither a folder nor a device or pipe; its folder made."""
    path = user_path(path)
    try:
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        if path.is_dir():
            raise BadInputError(f"{path} is a folder: give a file name for the export (--out).")
        if path.exists() and not path.is_file():
            raise BadInputError(f"{path} is not a regular file (a device or a pipe): give a file name for the export "
                                "(--out).")
    except OSError as error:  # a name too long for the file system, a folder that cannot be read
        raise BadInputError(f"Cannot write {path} ({error.strerror}): give another --out.") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"Cannot make the folder {path.parent} ({error.strerror}): give another --out.") from None
    return path


def _atomic_write(path: Path, text: str) -> None:
    # a name near the file system's limit (255 bytes, not letters) still has room for it
    tmp = path.with_name(path.name.encode("utf-8")[:200].decode("utf-8", "ignore") + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"Cannot write {path} ({error.strerror}): give another --out.") from None


CSV_COLUMNS = ["position", "artist", "title", "version", "spotify_id", "spotify_url", "isrc", "duration_s", "bpm",
               "key", "camelot", "label", "local_path"]


def write_csv(tracks: list[ExportTrack], path: Path | str) -> ExportReport:
    """One row per track (`CSV_COLUMNS`), UTF-8 with a header; nothing is left out."""
    import io

    path = _prepare(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for position, t in enumerate(tracks, 1):
        local = t.local_file
        writer.writerow([
            position, t.artist, t.title, t.version or "", t.spotify_id or "", t.spotify_url or "", t.isrc or "",
            "" if t.duration_ms is None else round(t.duration_ms / 1000), "" if t.tempo is None else f"{t.tempo:.2f}",
            t.musical_key or "", t.camelot or "", t.label or "", str(local) if local else "",
        ])
    _atomic_write(path, buffer.getvalue())
    return ExportReport(path, len(tracks))


def write_m3u8(tracks: list[ExportTrack], path: Path | str, *, name: str) -> ExportReport:
    """Extended M3U (UTF-8): the local file when known, else the Spotify link; others are left out."""
    path = _prepare(path)
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(name)}"]
    written, skipped = 0, []
    for t in tracks:
        target = str(t.local_file) if t.local_file else t.spotify_url
        if target is None:
            skipped.append((t.display, "no local file and no Spotify link"))
            continue
        seconds = -1 if t.duration_ms is None else round(t.duration_ms / 1000)
        lines += [f"#EXTINF:{seconds},{_one_line(t.display)}", target]
        written += 1
    if not written:
        raise BadInputError("None of these tracks has a local audio file of your own or a Spotify link, so the M3U8 "
                            "would be empty. Match your music folder with `python cli.py fetch-audio --library DIR` "
                            "or Spotify with `python cli.py match-spotify`, or export to CSV instead.")
    _atomic_write(path, "\n".join(lines) + "\n")
    return ExportReport(path, written, skipped)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# Characters XML 1.0 does not allow, even escaped: one in an attribute makes the whole file unreadable to rekordbox
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (control characters that came in with a tracklist)."""
    return _NOT_XML.sub("", text)


def file_location(path: Path) -> str:
    """rekordbox's `Location`: `file://localhost/` + the percent-encoded absolute path."""
    posix = path.resolve().as_posix()
    return "file://localhost" + quote(posix if posix.startswith("/") else "/" + posix, safe="/:")


def rekordbox_tonality(musical_key: str | None) -> str:
    """'A minor' → 'Am', 'F# major' → 'F#' (rekordbox's Tonality); '' when unknown."""
    if not musical_key:
        return ""
    parts = musical_key.replace("♯", "#").replace("♭", "b").split()
    if not parts:
        return ""
    tonic = parts[0][:1].upper() + parts[0][1:]
    if len(parts) == 1:
        return tonic  # already short ('Am', 'F#')
    return tonic + ("m" if parts[1].lower().startswith("min") else "")


def write_rekordbox_xml(tracks: list[ExportTrack], path: Path | str, *, name: str) -> ExportReport:
    """A rekordbox XML collection + one playlist `name` holding the tracks that have a local file, in order."""
    path = _prepare(path)
    included, skipped = [], []
    for t in tracks:
        if t.local_file is None:
            skipped.append((t.display, "no local file (rekordbox imports only files it can find; "
                                       "use the CSV or M3U8 export for Spotify-only tracks)"))
        else:
            included.append(t)
    if not included:
        raise BadInputError(
            "None of these tracks has a local audio file of your own (a downloaded 30-second preview does not count), "
            "and rekordbox only imports files it can find. Match your music folder with `python cli.py fetch-audio "
            "--library DIR`, or export to CSV or M3U8 instead."
        )
    root = ET.Element("DJ_PLAYLISTS", Version="1.0.0")
    ET.SubElement(root, "PRODUCT", Name="Cratedigger", Version="0.1", Company="Cratedigger")
    collection = ET.SubElement(root, "COLLECTION", Entries=str(len(included)))
    today = date.today().isoformat()
    for index, t in enumerate(included, 1):
        file = t.local_file
        ET.SubElement(
            collection, "TRACK",
            TrackID=str(index), Name=t.title, Artist=t.artist, Composer="", Album="", Grouping="", Genre="",
            Kind=_KINDS.get(file.suffix.lower(), f"{file.suffix.lstrip('.').upper() or 'Audio'} File"),
            Size=str(file.stat().st_size),
            TotalTime=str(round(t.duration_ms / 1000) if t.duration_ms else 0),
            DiscNumber="0", TrackNumber="0", Year="0",
            AverageBpm=f"{t.tempo:.2f}" if t.tempo else "0.00",
            DateAdded=today, BitRate="0", SampleRate="0", Comments=t.spotify_url or "", PlayCount="0", Rating="0",
            Location=file_location(file), Remixer="", Tonality=rekordbox_tonality(t.musical_key),
            Label=t.label or "", Mix=t.version or "",
        )
    playlists = ET.SubElement(root, "PLAYLISTS")
    top = ET.SubElement(playlists, "NODE", Type="0", Name="ROOT", Count="1")
    node = ET.SubElement(top, "NODE", Name=_one_line(name), Type="1", KeyType="0", Entries=str(len(included)))
    for index in range(1, len(included) + 1):
        ET.SubElement(node, "TRACK", Key=str(index))
    ET.indent(root, space="  ")
    text = '<?xml version="1.0" encoding="UTF-8"?>\n\n' + xml_safe(ET.tostring(root, encoding="unicode")) + "\n"
    _atomic_write(path, text)
    return ExportReport(path, len(included), skipped)


def export_tracks(tracks: list[ExportTrack], fmt: str, path: Path | str, *, name: str) -> ExportReport:
    """Write `tracks` as `fmt` ('csv', 'm3u' or 'rekordbox') to `path`."""
    if fmt == "csv":
        return write_csv(tracks, path)
    if fmt == "m3u":
        return write_m3u8(tracks, path, name=name)
    if fmt == "rekordbox":
        return write_rekordbox_xml(tracks, path, name=name)
    raise BadInputError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)} (or spotify).")

"""Decoding any audio file to mono float32 at 22,050 Hz, safely.

Common formats (WAV, FLAC, OGG, MP3, AIFF) are read in-process by libsndfile (soundfile,
a librosa dependency) — a 30 s MP3 in ~10 ms; everything else, and anything libsndfile
refuses, goes to ffmpeg (the binary pydub drives; called directly so every call has a
timeout). Input is checked before and after: size, container format,
an audio stream, duration, and that samples actually came out. Everything that is
wrong with a file becomes one `BadInputError` that says what to do.

For full tracks `representative_window` picks the 30 s a DJ would recognise: the most
energetic window past the intro, not the sparse first minute.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.params import CLIP_SECONDS, SAMPLE_RATE
from errors import BadInputError, ConfigError
from native_stderr import lines_to_log

log = logging.getLogger(__name__)

MB = 1024 * 1024  # a megabyte as the README, the dashboard and every size message count it
MAX_FILE_MB = 200  # the README's '≤ 200 MB': a 44.1 kHz 16-bit stereo WAV of 19.8 minutes
MAX_FILE_BYTES = MAX_FILE_MB * MB
MAX_DURATION_SECONDS = 20 * 60.0  # a long extended mix; DJ mixes themselves are not tracks
DECODE_TIMEOUT_SECONDS = 60.0
PROBE_TIMEOUT_SECONDS = 15.0
MIN_SAMPLES = SAMPLE_RATE // 4  # less than a quarter second is not a clip
SILENT_PEAK = 10 ** (-60 / 20)  # a file whose loudest sample is under -60 dBFS holds no music to measure

# ffprobe `format_name` values we accept (mp3, wav, flac, aiff, m4a/mp4/alac, ogg/opus, webm).
SUPPORTED_FORMATS = {"mp3", "wav", "flac", "aiff", "mov,mp4,m4a,3gp,3g2,mj2", "ogg", "matroska,webm"}
IN_PROCESS_FORMATS = {"WAV", "FLAC", "OGG", "MP3", "AIFF"}  # soundfile.info().format values
# libsndfile's MP3 decoder's complaints on a damaged MP3 ("[src/libmpg123/parse.c:…] error: …", "Note: Illegal
# Audio-MPEG-Header …", "Warning: Xing stream size off …")
_MPG123_LINE = re.compile(rb"\[src/libmpg123/|Note: |Warning: ")
_MP3_START = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa", b"\xff\xe3")  # ID3 tag or MPEG frame
SUPPORTED_SUFFIXES = (".mp3", ".wav", ".flac", ".aiff", ".aif", ".m4a", ".mp4", ".aac", ".ogg", ".opus", ".webm")


@dataclass(frozen=True)
class Decoded:
    """Samples of one decoded file.

    y : np.ndarray [shape=(n,), dtype=float32], mono in [-1, 1] at `sr` Hz.
    duration : length of the whole file in seconds (before a window was cut).
    offset : where `y` starts in the file, in seconds.
    """

    y: np.ndarray
    sr: int
    duration: float
    offset: float


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"`{name}` was not found on PATH. Install ffmpeg (Debian: `apt-get install ffmpeg`).")
    return path


def probe(path: Path, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> dict:
    """Container format name and duration (s) of `path` and whether it has an audio stream."""
    cmd = [_binary("ffprobe"), "-v", "error", "-show_entries", "format=format_name,duration:stream=codec_type",
           "-of", "json", str(path)]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BadInputError(f"{path.name}: reading the file took longer than {timeout:.0f} s; "
                            "it is probably damaged. Try another copy.") from exc
    if out.returncode != 0:
        raise BadInputError(f"{path.name}: not a readable audio file ({_first_line(out.stderr, path)}). "
                            "Give an MP3, WAV, FLAC, AIFF, M4A or OGG file.")
    info = json.loads(out.stdout or b"{}")
    fmt = info.get("format", {})
    has_audio = any(s.get("codec_type") == "audio" for s in info.get("streams", []))
    try:
        duration = float(fmt.get("duration"))
    except (TypeError, ValueError):
        duration = None
    return {"format_name": fmt.get("format_name", ""), "duration": duration, "has_audio": has_audio}


# ffmpeg's errors for what a DJ would call "not audio" / "broken", in their words
_PLAIN_ERRORS = {
    "Invalid data found when processing input": "ffmpeg does not recognise its contents as audio",
    "Invalid argument": "ffmpeg does not recognise its contents as audio",
    "Error configuring filter graph": "ffmpeg found no audio frames in it",
    "Output file #0 does not contain any stream": "ffmpeg found no audio frames in it",
}


def _first_line(stderr: bytes, path: Path) -> str:
    """ffmpeg's last line of stderr (its error), naming the file without its folder, in plain words when known."""
    text = stderr.decode("utf-8", "replace").replace(str(path), path.name).strip().splitlines()
    last = text[-1][:160] if text else "no details"
    return next((plain for error, plain in _PLAIN_ERRORS.items() if last.endswith(error)), last)


def check_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_seconds: float = MAX_DURATION_SECONDS) -> dict:
    """Reject what cannot be a track before decoding; returns the probe result."""
    _check_size(path, max_bytes)
    info = probe(path)
    if not info["has_audio"]:
        raise BadInputError(f"{path.name}: the file has no audio stream. Give an audio file.")
    if info["format_name"] not in SUPPORTED_FORMATS:
        raise BadInputError(f"{path.name}: format '{info['format_name']}' is not supported. "
                            "Give an MP3, WAV, FLAC, AIFF, M4A or OGG file.")
    if info["duration"] is not None and info["duration"] > max_seconds:
        raise BadInputError(_too_long(path, info["duration"], max_seconds))
    return info


def _check_size(path: Path, max_bytes: int) -> None:
    if path.is_dir():
        raise BadInputError(f"{path.name} is a folder: give one audio file from it.")
    if not path.is_file():
        raise BadInputError(f"{path}: no such file.")
    size = path.stat().st_size
    if size == 0:
        raise BadInputError(f"{path.name}: the file is empty. Give an audio file with sound in it.")
    refuse_if_too_big(path.name, size, max_bytes)


def refuse_if_too_big(name: str, size: int, max_bytes: int = MAX_FILE_BYTES) -> None:
    """`BadInputError` naming the size and the limit in MB when `size` bytes is over `max_bytes`."""
    if size > max_bytes:
        raise BadInputError(f"{name}: {math.ceil(size / MB)} MB is over the {max_bytes / MB:.0f} MB limit for one "
                            "track. Give a single track, not a whole mix.")


def _too_long(path: Path, seconds: float, max_seconds: float) -> str:
    return (f"{path.name}: {seconds / 60:.1f} minutes is longer than the {max_seconds / 60:.0f}-minute limit "
            "for one track. Give a single track.")


def decode_file(
    path: str | os.PathLike,
    *,
    sr: int = SAMPLE_RATE,
    clip_seconds: float | None = CLIP_SECONDS,
    timeout: float = DECODE_TIMEOUT_SECONDS,
    max_bytes: int = MAX_FILE_BYTES,
    max_seconds: float = MAX_DURATION_SECONDS,
) -> Decoded:
    """Mono float32 samples of `path` at `sr` Hz.

    With `clip_seconds`, files longer than that are cut to their representative window
    (see `representative_window`); `None` keeps the whole file.
    Raises `BadInputError` for empty, corrupt, non-audio, unsupported, over-long or over-size
    files and when ffmpeg takes longer than `timeout` seconds.
    """
    path = Path(path)
    y = _decode_in_process(path, sr=sr, max_bytes=max_bytes, max_seconds=max_seconds)
    if y is None:
        y = _decode_with_ffmpeg(path, sr=sr, timeout=timeout, max_bytes=max_bytes, max_seconds=max_seconds)
    if y.size < MIN_SAMPLES:
        raise BadInputError(f"{path.name}: the file holds no audio (or less than a quarter second).")
    y = np.nan_to_num(y.astype(np.float32, copy=True), nan=0.0, posinf=0.0, neginf=0.0)
    np.clip(y, -1.0, 1.0, out=y)
    check_not_silent(y, path.name)
    duration = y.size / sr
    offset = 0.0
    if clip_seconds is not None and duration > clip_seconds:
        start = representative_window(y, sr=sr, seconds=clip_seconds)
        offset = start / sr
        y = y[start : start + int(clip_seconds * sr)].copy()
    return Decoded(y=y, sr=sr, duration=duration, offset=offset)


def check_not_silent(y: np.ndarray, name: str) -> None:
    """`BadInputError` when samples `y` [shape=(n,), float] never reach SILENT_PEAK (-60 dBFS)."""
    peak = max(float(y.max()), -float(y.min())) if y.size else 0.0  # no |y| copy (~100 MB for 20 minutes)
    if peak < SILENT_PEAK:
        level = "digital silence" if peak == 0 else f"its loudest moment is {20 * np.log10(peak):.1f} dBFS"
        raise BadInputError(f"{name}: the audio is silent ({level}), so there is no tempo, key or sound to "
                            "measure. Give a file with music in it.")


def _decode_in_process(path: Path, *, sr: int, max_bytes: int, max_seconds: float) -> np.ndarray | None:
    """WAV, FLAC, OGG, MP3 and AIFF through libsndfile (~10 ms for a 30 s MP3, no process to spawn).

    Returns None for anything else or anything libsndfile cannot read; ffmpeg then tries and explains.
    """
    _check_size(path, max_bytes)
    try:
        import soundfile
    except ImportError:
        return None
    quiet = lines_to_log(_MPG123_LINE, log, f"{path.name}: libmpg123") if _is_mp3(path) else nullcontext()
    try:
        with quiet:  # only MP3s: it holds stderr (and a process-wide lock) while it decodes
            info = soundfile.info(str(path))
            if info.format not in IN_PROCESS_FORMATS or info.frames <= 0 or info.samplerate <= 0:
                return None
            if info.duration > max_seconds:
                raise BadInputError(_too_long(path, info.duration, max_seconds))
            data, file_sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError):
        return None
    y = data.mean(axis=1)
    if file_sr != sr:
        import soxr

        y = soxr.resample(y, file_sr, sr).astype(np.float32)
    return y


def _is_mp3(path: Path) -> bool:
    """Named .mp3, or starting like one (an ID3 tag or an MPEG audio frame)."""
    if path.suffix.lower() == ".mp3":
        return True
    with open(path, "rb") as handle:
        return handle.read(3).startswith(_MP3_START)


def _decode_with_ffmpeg(path: Path, *, sr: int, timeout: float, max_bytes: int, max_seconds: float) -> np.ndarray:
    check_file(path, max_bytes=max_bytes, max_seconds=max_seconds)
    cmd = [_binary("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
           "-ac", "1", "-ar", str(sr), "-t", str(max_seconds), "-f", "f32le", "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BadInputError(f"{path.name}: decoding took longer than {timeout:.0f} s; the file is probably "
                            "damaged. Try another copy.") from exc
    y = np.frombuffer(out.stdout, dtype="<f4")
    if out.returncode != 0 and y.size < MIN_SAMPLES:
        raise BadInputError(f"{path.name}: the audio could not be decoded ({_first_line(out.stderr, path)}). "
                            "The file may be damaged; try another copy.")
    if out.returncode != 0:
        log.info("%s: ffmpeg reported %s; using the %.1f s it decoded", path.name, _first_line(out.stderr, path),
                 y.size / sr)
    return y


def decode_bytes(data: bytes, *, filename: str = "", **kwargs) -> Decoded:
    """Decode an uploaded file's bytes (see `decode_file`); messages name it `filename` (its extension is a
    hint only)."""
    name = upload_name(filename)
    if not data:
        raise BadInputError(f"{name}: the file is empty. Give an audio file with sound in it.")
    refuse_if_too_big(name, len(data), kwargs.get("max_bytes", MAX_FILE_BYTES))
    with tempfile.TemporaryDirectory(prefix="cratedigger-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return decode_file(path, **kwargs)


UPLOAD_NAME_BYTES = 100  # file systems allow 255 bytes a name; UTF-8 letters take up to 4


def upload_name(filename: str) -> str:
    """A safe local name for an uploaded file: its base name in word characters and common punctuation, at
    most UPLOAD_NAME_BYTES of UTF-8, keeping a supported extension (another one is dropped); 'upload' when
    nothing is left."""
    base = re.sub(r"[^\w .()&+,'-]", "_", Path(str(filename).replace("\\", "/")).name).strip(" .")
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    suffix = suffix if suffix in SUPPORTED_SUFFIXES else ""
    stem = stem.encode()[:UPLOAD_NAME_BYTES].decode(errors="ignore").strip(" .")
    return (stem or "upload") + suffix


def representative_window(y: np.ndarray, *, sr: int, seconds: float = CLIP_SECONDS) -> int:
    """Start sample of the most energetic `seconds`-long window of `y`, skipping the intro.

    Energy is the mean RMS over one-second blocks; windows may start anywhere from 15% of
    the track (past the typical DJ intro) to its end minus `seconds`. Ties favour the
    earliest window. Returns 0 when `y` is not longer than `seconds`.
    """
    window = int(seconds * sr)
    if y.size <= window:
        return 0
    n_blocks = y.size // sr
    rms = np.sqrt(np.mean(y[: n_blocks * sr].reshape(n_blocks, sr) ** 2, axis=1))
    span = int(seconds)
    sums = np.convolve(rms, np.ones(span), mode="valid")  # sums[i] = energy of blocks i..i+span-1
    first = min(int(0.15 * n_blocks), len(sums) - 1)
    best = first + int(np.argmax(sums[first:]))
    return min(best * sr, y.size - window)

"""Spectrogram shapes, tempo and key on synthetic clips with known truth, keys/Camelot, and the real CC clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from audio.analysis import analyze, store_analysis
from audio.keys import KeyEstimate, estimate_key
from audio.mel import cache_path, cached_log_mel, log_mel
from audio.params import HOP_LENGTH, N_MELS, SAMPLE_RATE
from audio.synth import BEATLESS, STYLE_TEMPO, STYLES, canonical_style, synthesize_beatless, synthesize_clip
from audio.tempo import MIN_PULSE_CLARITY, estimate_tempo, tempo_and_pulse
from catalog.keys import camelot, camelot_compatible, key_name, parse_key
from errors import BadInputError
from tests.conftest import shared_path

FIXTURES = Path(__file__).parent / "fixtures" / "audio"


def test_log_mel_shape_and_dtype():
    y = synthesize_clip("house", 124, "A minor", seed=1, seconds=5.0)
    mel = log_mel(y)
    assert mel.dtype == np.float32
    assert mel.shape == (N_MELS, 1 + y.size // HOP_LENGTH)
    assert np.isfinite(mel).all() and mel.max() > -20


def test_spectrograms_equal_librosas_dense_computation():
    """The sparse filterbank products give librosa's melspectrogram (log-mel in dB, and musicnn's input)."""
    import librosa

    from audio.mel import model_input
    from audio.params import FMAX, FMIN, MODEL_HOP_LENGTH, MODEL_N_FFT, MODEL_N_MELS, MODEL_SAMPLE_RATE, N_FFT

    y = synthesize_clip("techno", 130, "D minor", seed=3, seconds=4.0)
    mel = librosa.feature.melspectrogram(y=y, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS,
                                         fmin=FMIN, fmax=FMAX)
    np.testing.assert_allclose(log_mel(y), 10 * np.log10(np.maximum(mel, 1e-10)), atol=1e-3)
    y16 = librosa.resample(y, orig_sr=SAMPLE_RATE, target_sr=MODEL_SAMPLE_RATE, res_type="soxr_hq")
    mel16 = librosa.feature.melspectrogram(y=y16, sr=MODEL_SAMPLE_RATE, n_fft=MODEL_N_FFT,
                                           hop_length=MODEL_HOP_LENGTH, n_mels=MODEL_N_MELS)
    np.testing.assert_allclose(model_input(y), np.log10(1 + 10_000 * mel16), rtol=1e-4, atol=1e-4)


def test_log_mel_rejects_wrong_input():
    with pytest.raises(BadInputError):
        log_mel(np.zeros((2, 1000), np.float32))
    with pytest.raises(BadInputError, match="22050"):
        log_mel(np.zeros(1000, np.float32), sr=16000)


def test_mel_cache_computes_once(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return np.ones((N_MELS, 10), np.float32)

    a = cached_log_mel(tmp_path, "track-1", compute)
    b = cached_log_mel(tmp_path, "track-1", compute)
    assert len(calls) == 1 and np.array_equal(a, b)
    assert cache_path(tmp_path, "track-1").is_file()


def test_synth_is_deterministic_and_style_typed():
    a = synthesize_clip("techno", 132, "F minor", seed=3, seconds=4.0)
    b = synthesize_clip("Techno", 132, "4A", seed=3, seconds=4.0)
    assert a.dtype == np.float32 and a.shape == (4 * SAMPLE_RATE,)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, synthesize_clip("techno", 132, "F minor", seed=4, seconds=4.0))
    assert canonical_style("DnB") == "drum & bass"
    with pytest.raises(BadInputError):
        synthesize_clip("polka", 120, "A minor", seed=0)


def test_tempo_and_key_on_synthetic_clips():
    rng = np.random.default_rng(5)
    tempo_ok = key_ok = 0
    cases = [(style, seed) for style in STYLES for seed in range(5)]  # 30 clips: with 18, one clip swung the key check
    for style, seed in cases:
        lo, hi = STYLE_TEMPO[style]
        bpm = float(rng.uniform(lo, hi))
        key = key_name(int(rng.integers(12)), "minor" if rng.random() < 0.7 else "major")
        a = analyze(synthesize_clip(style, bpm, key, seed=seed, seconds=20.0))
        tempo_ok += abs(a.tempo - bpm) / bpm <= 0.02
        key_ok += (a.key.tonic, a.key.mode) == parse_key(key)
    assert tempo_ok >= 0.9 * len(cases)  # the full measurement (bench/audio_synth_accuracy.py) is in bench/audio.md
    assert key_ok >= 0.7 * len(cases)


@pytest.mark.parametrize(("style", "bpm", "key", "seed"), [
    ("house", 125.3, "G minor", 12), ("house", 121.9, "E major", 30), ("techno", 136.9, "E minor", 80),
    ("tech house", 127.7, "E minor", 157), ("house", 122.5, "E minor", 288),
])
def test_kick_below_a1_does_not_pull_the_key_to_its_dominant(style, bpm, key, seed):
    """Regression: a kick tuned to the tonic below A1 (E1 = 41 Hz) has its 3rd harmonic on the fifth (B2),
    which read as a bass note while the kick itself was below the salience range; these five clips of
    bench/audio_synth_accuracy.py were all read in their dominant key."""
    estimate = analyze(synthesize_clip(style, bpm, key, seed=seed, seconds=30.0)).key
    assert (estimate.tonic, estimate.mode) == parse_key(key)


def test_drum_and_bass_is_counted_fast_not_half_time():
    a = analyze(synthesize_clip("drum & bass", 174, "D minor", seed=11, seconds=20.0))
    assert abs(a.tempo - 174) <= 3.5


@pytest.mark.parametrize("seconds", [5.0, 20.0])
@pytest.mark.parametrize("kind", BEATLESS)
def test_beatless_audio_has_no_clear_beat(kind, seconds):
    """A sine, a chord pad, pink noise or a swell: tempo confidence 0, so no BPM is shown, stored or filtered by."""
    for seed in range(3):
        a = analyze(synthesize_beatless(kind, seed=seed, seconds=seconds))
        assert a.tempo_confidence == 0.0 and a.bpm is None, (kind, seed, a.tempo)
        assert 70 <= a.tempo <= 180  # the best guess stays (the CLI prints it as one)


@pytest.mark.parametrize("hz", [(55.0,), (110.0,), (440.0,), (1000.0,), (220.0, 261.6, 329.6, 440.0)])
def test_regression_a_steady_sine_had_a_confident_tempo(hz):
    """A steady 440 Hz sine scored tempo confidence 0.77: the comb was measured against the strongest
    autocorrelation peak of an envelope that was only numerical noise in bins ~100 dB under the tone
    (a 55 Hz sine and a chord of sines kept a pulse clarity over MIN_PULSE_CLARITY until that floor went)."""
    t = np.arange(30 * SAMPLE_RATE) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * f * t + i) for i, f in enumerate(hz))
    mel = log_mel((0.5 * y / len(hz)).astype(np.float32))
    assert estimate_tempo(mel)[1] == 0.0 and tempo_and_pulse(mel)[2] < MIN_PULSE_CLARITY / 2


@pytest.mark.parametrize("style", STYLES)
def test_grooves_keep_a_clear_beat(style):
    lo, hi = STYLE_TEMPO[style]
    for seed, bpm in enumerate((lo, (lo + hi) / 2, hi)):
        a = analyze(synthesize_clip(style, bpm, "C minor", seed=seed, seconds=10.0))
        assert a.tempo_confidence > 0 and a.bpm == a.tempo, (style, bpm, a.tempo)
        assert tempo_and_pulse(a.mel)[2] >= 2 * MIN_PULSE_CLARITY  # a margin, not a coin toss
        assert abs(a.bpm - bpm) <= 0.02 * bpm


def test_key_names_and_camelot():
    assert str(KeyEstimate(tonic=9, mode="minor", confidence=0.5)) == "A minor / 8A"
    assert camelot(*parse_key("A minor")) == "8A"
    assert camelot(*parse_key("C major")) == "8B"
    assert camelot(*parse_key("F#m")) == "11A"
    assert camelot(*parse_key("Db")) == "3B"
    assert parse_key("12B") == (4, "major")
    assert camelot_compatible("8A", "9A") and camelot_compatible("12A", "1A") and camelot_compatible("8A", "8B")
    assert not camelot_compatible("8A", "9B") and not camelot_compatible("8A", "10A")
    with pytest.raises(BadInputError):
        parse_key("H minor")


def test_silence_has_no_tempo_or_key_confidence():
    a = analyze(np.zeros(5 * SAMPLE_RATE, np.float32))
    assert a.tempo == 0.0 and a.key.confidence == 0.0


@pytest.mark.parametrize("notes_hz, most", [((440.0,), 0.1), ((110.0, 220.0, 440.0), 0.1), ((220.0, 329.63), 0.5)])
def test_one_pitch_class_gives_a_key_of_little_confidence(notes_hz, most):
    """A pure sine (or a note in octaves) had key confidence 1.00: one pitch class cannot tell its mode (A minor or
    A major) and a fifth barely can; confidence now scales with how many pitch classes sound."""
    t = np.arange(10 * SAMPLE_RATE) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * hz * t) for hz in notes_hz).astype(np.float32) / len(notes_hz)
    assert estimate_key(tone, sr=SAMPLE_RATE).confidence < most


def test_a_triad_or_a_synthetic_track_keeps_a_confident_key():
    t = np.arange(10 * SAMPLE_RATE) / SAMPLE_RATE
    triad = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 261.63, 329.63)).astype(np.float32) / 3
    assert estimate_key(triad, sr=SAMPLE_RATE).name == "A minor" and estimate_key(triad, sr=SAMPLE_RATE).confidence > 0.8
    clip = synthesize_clip("techno", 130, "F minor", seed=1, seconds=10.0)
    assert estimate_key(clip, sr=SAMPLE_RATE).confidence > 0.8


def test_analysis_is_stored_in_catalog(tmp_path):
    from catalog.db import connect
    from catalog.store import TrackRecord, upsert_track

    conn = connect(tmp_path / "catalog.sqlite")
    track_id = upsert_track(conn, TrackRecord(artist="A", title="B"))
    a = analyze(synthesize_clip("house", 122, "G minor", seed=0, seconds=10.0))
    store_analysis(conn, track_id, a, audio_path="/x.wav", duration_ms=10_000)
    row = conn.execute("SELECT tempo, musical_key, camelot, key_confidence, audio_path FROM tracks").fetchone()
    assert row["tempo"] == pytest.approx(a.tempo) and row["camelot"] == a.key.camelot
    assert row["musical_key"] == a.key.name and row["audio_path"] == "/x.wav"


def test_a_track_with_no_clear_beat_stores_no_tempo(tmp_path):
    """Before, the best guess of a beatless track was stored as its BPM and the BPM filters used it."""
    from catalog.db import connect
    from catalog.store import TrackRecord, update_track_audio, upsert_track

    conn = connect(tmp_path / "catalog.sqlite")
    track_id = upsert_track(conn, TrackRecord(artist="A", title="Pad"))
    update_track_audio(conn, track_id, tempo=154.1)  # a best guess stored by the analysis before this one
    a = analyze(synthesize_beatless("chord pad", seconds=10.0))
    store_analysis(conn, track_id, a, audio_path="/pad.wav", duration_ms=10_000)
    row = conn.execute("SELECT tempo, camelot FROM tracks").fetchone()
    assert row["tempo"] is None and row["camelot"] == a.key.camelot
    update_track_audio(conn, track_id, audio_path="/pad.flac")  # fetching audio again leaves the tempo alone
    store_analysis(conn, track_id, analyze(synthesize_clip("house", 122, "G minor", seed=0, seconds=10.0)))
    update_track_audio(conn, track_id, audio_path="/pad.wav")
    assert conn.execute("SELECT tempo FROM tracks").fetchone()[0] == pytest.approx(122, abs=2.5)


def test_regression_analyze_audio_redid_every_track_with_no_clear_beat(settings, conn, tmp_path, capsys):
    """analyze-audio took 'no tempo' for 'not analysed': a beatless track, which stores no tempo, was analysed
    again on every run."""
    import soundfile

    from audio.commands import _parser_for_tests
    from catalog.store import TrackRecord, update_track_audio, upsert_track

    for title, y in (("Pad", synthesize_beatless("chord pad", seconds=6.0)),
                     ("Groove", synthesize_clip("house", 124, "A minor", seed=1, seconds=6.0))):
        path = tmp_path / f"{title}.wav"
        soundfile.write(path, y, SAMPLE_RATE)
        update_track_audio(conn, upsert_track(conn, TrackRecord(artist="A", title=title)), audio_path=str(path))
    args = _parser_for_tests().parse_args(["analyze-audio"])
    assert args.handler(args, settings) == 0 and "analysed 2 of 2 tracks" in capsys.readouterr().out
    assert args.handler(args, settings) == 0 and "analysed 0 of 0 tracks" in capsys.readouterr().out
    tempo = dict(conn.execute("SELECT title, tempo FROM tracks").fetchall())
    assert tempo["Pad"] is None and abs(tempo["Groove"] - 124) < 2.5


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.ogg")))
def test_real_cc_clips_decode_and_analyse(name):
    from audio.decode import decode_file

    decoded = decode_file(FIXTURES / name)
    assert decoded.y.size > SAMPLE_RATE and decoded.y.size <= 30 * SAMPLE_RATE
    a = analyze(decoded.y)
    assert 70 <= a.tempo <= 180
    if "Drum-bass" in name:  # drums and bass: a clear beat (the trumpet loop has none, the waltz a piano's)
        assert a.bpm is not None
    assert 0.0 <= a.key.confidence <= 1.0 and a.key.camelot[-1] in "AB"
    assert (FIXTURES / name).with_suffix(".txt").is_file()  # attribution travels with the clip


def test_the_drum_and_bass_stems_are_at_136_bpm_not_a_drum_and_bass_tempo():
    """Review: the `Drum-bass` clip reads 136 BPM while drum & bass runs at 160-180. Its attribution says it is the
    drum and bass *stems* of Admiral Bob's 'Choice'; librosa's own docs (and `beat_track` on this file, even from
    start_bpm=170) give 135.999 BPM, and our comb at 170 BPM is negative (bench/audio.md): 136 is right."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    from audio.decode import decode_file

    assert abs(analyze(decode_file(FIXTURES / "admiralbob77_-_Choice_-_Drum-bass.ogg").y).bpm - 136.0) < 0.5


def test_trumpet_loop_is_in_f():
    """The trumpet loop's pack says 'in F ... Dorian' (attribution file). (Its 90 BPM is not checked: a
    solo trumpet has no drums; our best guess, ~167, is wrong, and its pulse clarity, 0.066, just under
    MIN_PULSE_CLARITY, makes it 'no clear beat'.)"""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    from audio.decode import decode_file

    a = analyze(decode_file(FIXTURES / "sorohanro_-_solo-trumpet-06.ogg").y)
    assert a.key.tonic == 5


def test_real_clips_with_and_without_a_beat():
    """The 10-s AudioSet House/Techno/Trance clips keep a tempo (2 of 102 read as 'no clear beat' when this was
    written, bench/audio.md); a dog howling in her sleep has none."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    from audio.decode import decode_file

    electronic = sorted(shared_path("fixtures", "audio", "audioset-electronic").glob("*.wav"))
    beatless = [p.name for p in electronic if analyze(decode_file(p).y).bpm is None]
    assert len(electronic) > 50 and len(beatless) <= 4, beatless
    assert analyze(decode_file(shared_path("fixtures", "audio", "librosa-cc", "pibble.ogg")).y).bpm is None

import base64

import numpy as np
import pytest

from audio.mel import SPECTROGRAM_SHAPE, small_spectrogram
from errors import BadInputError
from ui.sound import cached_spectrogram, decode_upload


def test_small_spectrogram_shrinks_to_whole_decibels():
    mel = np.linspace(-80, 0, 96 * 1300, dtype=np.float32).reshape(96, 1300)
    small = small_spectrogram(mel)
    assert len(small) <= SPECTROGRAM_SHAPE[0] and len(small[0]) <= SPECTROGRAM_SHAPE[1]
    assert all(isinstance(v, int) for v in small[0])  # floats made a session Store re-render forever


def test_cached_spectrogram_reads_the_cache_and_never_computes(settings, tmp_path):
    from audio.dataset import mel_cache_id
    from audio.mel import cache_path

    clip = tmp_path / "clip.ogg"
    clip.write_bytes(b"OggS not really")
    assert cached_spectrogram(settings, str(clip)) is None  # nothing cached: no decoding on a request
    path = cache_path(settings.cache_dir, mel_cache_id(clip))
    path.parent.mkdir(parents=True)
    np.save(path, np.zeros((96, 400), np.float32))
    assert len(cached_spectrogram(settings, str(clip))) == 48
    assert cached_spectrogram(settings, None) is None
    assert cached_spectrogram(settings, str(tmp_path / "gone.ogg")) is None


def test_uploads_are_checked_before_decoding():
    data = b"RIFF....WAVE"
    assert decode_upload("data:audio/wav;base64," + base64.b64encode(data).decode(), "a.wav") == data
    with pytest.raises(BadInputError, match="empty"):
        decode_upload("", "a.wav")
    with pytest.raises(BadInputError, match="broken upload"):
        decode_upload("data:audio/wav;base64,@@@@", "a.wav")
    with pytest.raises(BadInputError, match="larger than"):
        decode_upload("data:audio/wav;base64," + "A" * (90 * 1024 * 1024), "huge.wav")


@pytest.mark.slow
def test_demo_tracks_with_audio_have_a_spectrogram_to_show(sound_data_dir):
    """Regression: demo-audio wrote clips but no log-mel, so the Spectrogram tab said no audio was analysed."""
    from catalog.db import connect
    from config import load_settings

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    conn = connect(settings.catalog_path, readonly=True)
    paths = [r[0] for r in conn.execute("SELECT audio_path FROM tracks WHERE audio_path IS NOT NULL")]
    conn.close()
    assert paths and all(cached_spectrogram(settings, p) for p in paths)


def test_a_crate_sounds_like_the_mean_of_its_seeds_and_leaves_them_all_out():
    from models.embeddings import EmbeddingIndex
    from ui.sound import SoundIndex

    half = np.sqrt(0.5)
    sound = SoundIndex.__new__(SoundIndex)
    sound.index = EmbeddingIndex(np.array([[1, 0], [0, 1], [half, half], [-1, 0]], np.float32), np.array([1, 2, 3, 4]))
    sound.row_of = {1: 0, 2: 1, 3: 2, 4: 3}
    np.testing.assert_allclose(sound.query_of([1, 2]), [half, half], atol=1e-6)
    assert sound.query_of([99]) is None
    np.testing.assert_allclose(sound.query_of([99, 2]), [0, 1])  # an unknown seed is passed over, not fatal
    ids, scores = sound.neighbours_of_tracks([1, 2], 5)
    assert ids.tolist() == [3, 4] and scores[0] == pytest.approx(1.0)
    assert sound.similarity([1, 2], [3, 4, 99]) == pytest.approx({3: 1.0, 4: -half})

"""evaluate-audio: label reading, grouped folds, precision@k, and the verb's JSON on a synthetic folder."""

from __future__ import annotations

import json
import shutil
import wave

import numpy as np
import pytest

from audio.evaluate import grouped_folds, precision_at_k, read_labels
from audio.synth import synthesize_clip
from errors import BadInputError


def test_read_labels_drops_none_and_checks_columns(tmp_path, caplog):
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("file,label,track_id\na.wav,House,1\nb.wav,none,2\nc.wav,,3\nd.wav,Techno,1\n")
    rows = read_labels(csv_path)
    assert [(p.name, label, g) for p, label, g in rows] == [("a.wav", "House", "1"), ("d.wav", "Techno", "1")]
    assert "labels.csv: 2 rows without a label (or labelled 'none') left out" in caplog.text  # QA: said nothing
    with pytest.raises(BadInputError, match="genre"):
        read_labels(csv_path, label_col="genre")


def test_a_group_column_named_but_missing_is_refused_and_the_default_falls_back(tmp_path, caplog):
    """QA: `--group-col nope` carried on with each clip alone, so a typo let clips of one track straddle folds."""
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("file,label\na.wav,House\nb.wav,Techno\n")
    with pytest.raises(BadInputError, match="no column nope .*--group-col"):
        read_labels(csv_path, group_col="nope", group_required=True)
    assert [g for _, _, g in read_labels(csv_path)] == ["a.wav", "b.wav"]  # the default: a warning, each clip alone
    assert "every clip is its own group" in caplog.text
    caplog.clear()
    assert [g for _, _, g in read_labels(csv_path, group_col=None)] == ["a.wav", "b.wav"]  # train-cnn: no warning
    assert caplog.text == ""


def test_grouped_folds_never_split_a_group():
    labels = np.array(["a", "b"] * 10)
    groups = np.repeat(np.arange(10), 2)
    fold_of = grouped_folds(labels, groups, 5)
    for g in range(10):
        assert len(set(fold_of[groups == g])) == 1
    assert set(fold_of.tolist()) == set(range(5))
    with pytest.raises(BadInputError):
        grouped_folds(labels, groups, 11)


def test_precision_at_k_hand_computed():
    index = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], np.float32)
    labels = np.array(["x", "x", "y", "y"])
    assert precision_at_k(np.array([[1, 0]]), np.array(["x"]), index, labels, k=2) == 1.0
    assert precision_at_k(np.array([[1, 0]]), np.array(["y"]), index, labels, k=2) == 0.0
    assert precision_at_k(np.array([[1, 0]]), np.array(["x"]), index, labels, k=4) == 0.5


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_evaluate_audio_verb_json(tmp_path, capsys):
    pytest.importorskip("keras")
    from audio.commands import _parser_for_tests
    from config import load_settings

    lines = ["file,label,track_id"]
    for i in range(12):
        style = ("techno", "drum & bass")[i % 2]
        y = synthesize_clip(style, 132 if style == "techno" else 174, "A minor", seed=i, seconds=5.0)
        with wave.open(str(tmp_path / f"c{i}.wav"), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(16_000)  # any sample rate
            handle.writeframes((y[::2][: 5 * 16_000] * 32767).astype("<i2").tobytes())
        lines.append(f"c{i}.wav,{style},t{i // 2 if i < 4 else i}")
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    args = _parser_for_tests().parse_args(["evaluate-audio", "--labels", str(tmp_path / "labels.csv"), "--folds", "3",
                                           "--epochs", "2", "--json"])
    assert args.handler(args, load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "x")) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "macro_f1", "precision_at_5"):
        assert 0.0 <= out[key] <= 1.0
    assert len(out["folds"]) == 3 and out["n_clips"] == 12


def test_bug_a_labels_field_past_the_csv_modules_limit_is_bad_input(tmp_path):
    """QA: a field over 131,072 characters in a labels CSV stopped `evaluate-audio` with exit 1."""
    path = tmp_path / "labels.csv"
    path.write_text("file,label\na.wav,House\n" + "b" * 200_000 + ".wav,Techno\n")
    with pytest.raises(BadInputError, match="labels.csv cannot be read as CSV at line 3"):
        read_labels(path)

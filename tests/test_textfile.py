"""CSVs saved by spreadsheet programs in other encodings are read, not refused at the first odd byte."""

from __future__ import annotations

import codecs

import pytest

from textfile import read_text

TEXT = "set_id,track_id,artist,title\nAnnie On One,1,Âme,Rej\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_common_spreadsheet_encodings_read_back(tmp_path, encoding):
    path = tmp_path / "sets.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert read_text(path) == TEXT


def test_utf16_big_endian_with_its_bom(tmp_path):
    path = tmp_path / "sets.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"))
    assert read_text(path) == TEXT


def test_evaluate_reads_a_windows_1252_export(tmp_path):
    from models.matrix import read_plays_csv

    rows = ["set_id,track_id,artist,title"] + [f"Set {s},{s}-{t},Tiësto {t},Café {t}" for s in range(3) for t in range(4)]
    path = tmp_path / "sets.csv"
    path.write_bytes("\n".join(rows).encode("cp1252"))
    plays = read_plays_csv(path)
    assert len(plays.set_keys) == 12 and plays.names["0-1"] == ("Tiësto 1", "Café 1")


def test_one_latin1_line_does_not_garble_the_rest(tmp_path, caplog):
    """Review: a UTF-8 file with one pasted Latin-1 line was read all as Windows-1252, re-keying every accent."""
    path = tmp_path / "sets.csv"
    path.write_bytes(TEXT.encode("utf-8") + "s2,2,Café del Mar,Tiësto\n".encode("latin-1"))
    assert read_text(path) == TEXT + "s2,2,Café del Mar,Tiësto\n"
    assert "1 of 3 lines read as Windows-1252" in caplog.text  # QA: "of 4" for a 3-line file


def test_a_binary_file_is_refused_in_a_sentence(tmp_path):
    """QA: importing an .xlsx or an MP3 printed its garbled header as 'columns […]'."""
    from errors import BadInputError

    path = tmp_path / "sets.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)
    with pytest.raises(BadInputError, match="sets.xlsx is not a text file: give a CSV"):
        read_text(path)


def test_decode_lines_reads_each_line_in_its_own_encoding():
    from textfile import decode_lines

    assert decode_lines("Âme - Rej\n".encode() + b"Nono - Body Titam\xe9") == ("Âme - Rej\nNono - Body Titamé", 1)

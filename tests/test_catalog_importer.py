import json

import pytest

from catalog.importer import BadRow, import_tracklists, row_location
from catalog.queries import count_catalog, search_tracks
from errors import BadInputError

CSV = """set_id,position,artist,title,set_title,date,djs,styles,spotify_id
s1,1,Âme,Rej,Live @ Panorama Bar,2019-05-01,Dixon;Âme,Deep House,4uLU6hMCjMI75M1A2tKUQC
s1,2,Dixon,Route 66,Live @ Panorama Bar,2019-05-01,Dixon;Âme,Deep House,
s2,1,Ame,Rej (Original Mix),Another Set,2020,Someone,Techno,
s1,3,,No Artist,Live @ Panorama Bar,2019-05-01,,,
s2,x,Foo,Bar,Another Set,2020,,,
s2,2,Foo,Bar,Another Set,2020,,,not-an-id
s2,3,Baz,Qux,Another Set,2020,,,
s2,3,Baz,Duplicate Position,Another Set,2020,,,
"""


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "sets.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_import_reports_bad_rows_by_line_and_imports_the_rest(conn, csv_file):
    report = import_tracklists(conn, csv_file)
    assert report.sets == 2
    assert report.plays == 4
    assert [(b.line, b.reason.split(" ")[0]) for b in report.bad_rows] == [
        (5, "needs"), (6, "position"), (7, "spotify_id"), (9, "set")
    ]
    counts = count_catalog(conn)
    assert (counts.sets, counts.tracks, counts.plays) == (2, 3, 4)  # Âme - Rej collapses across sets
    row = conn.execute("SELECT djs, styles, date FROM sets WHERE source_key = 's1'").fetchone()
    assert json.loads(row["djs"]) == ["Dixon", "Âme"]
    assert json.loads(row["styles"]) == ["Deep House"]


def test_reimporting_adds_nothing_twice(conn, csv_file):
    import_tracklists(conn, csv_file)
    before = count_catalog(conn)
    report = import_tracklists(conn, csv_file)
    assert count_catalog(conn) == before
    assert report.new_tracks == 0
    # the re-import was reported as "Imported 2 sets with 4 plays" although nothing was added
    assert (report.sets, report.existing_sets, report.new_sets, report.plays) == (2, 2, 0, 0)


def test_external_track_ids_define_identity(conn, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("set_id,position,track_id,artist,title\na,1,T1,X,Same\na,2,T2,X,Same\nb,1,T1,Y,Other\n")
    import_tracklists(conn, path)
    assert count_catalog(conn).tracks == 2


def test_regression_tracks_with_external_ids_are_found_by_name_or_id(conn, tmp_path):
    """QA: `id:` keys hold no names, so tracks imported with a track_id were found by no text."""
    named, bare = tmp_path / "named.csv", tmp_path / "bare.csv"
    named.write_text("set_id,position,track_id,artist,title\na,1,T1,Kölsch feat. Tiësto,Grey\n", encoding="utf-8")
    bare.write_text("set_id,position,track_id\nb,1,disc-0042\n")
    import_tracklists(conn, named)
    import_tracklists(conn, bare)
    for text in ("Kolsch - Grey", "tiesto - grey", "kolsch grey", "tiesto", "T1"):
        assert search_tracks(conn, text)[0]["title"] == "Grey", text
    assert search_tracks(conn, "disc-0042")[0]["key"] == "id:disc-0042"


def test_json_rows_import_like_csv(conn, tmp_path):
    path = tmp_path / "sets.json"
    path.write_text(json.dumps([
        {"set_id": "j1", "position": 1, "artist": "A", "title": "One", "djs": ["X", "Y"]},
        {"set_id": "j1", "position": 2, "artist": "B", "title": "Two"},
        "not a row",
    ]))
    report = import_tracklists(conn, path)
    assert (report.sets, report.plays, len(report.bad_rows)) == (1, 2, 1)
    assert search_tracks(conn, "a one")[0]["title"] == "One"


def test_bad_rows_are_located_by_line_in_csv_and_by_row_in_json(tmp_path):
    # JSON rows were reported as "sets.json:3", like a line number
    assert row_location(tmp_path / "sets.json", BadRow(3, "not an object")) == f"{tmp_path / 'sets.json'}: row 3"
    assert row_location(tmp_path / "sets.csv", BadRow(5, "no set_id")) == f"{tmp_path / 'sets.csv'}:5"


@pytest.mark.parametrize(
    "content, message",
    [("", "empty"), ("foo,bar\n1,2\n", "needs set_id"), ("[", "not valid JSON"),
     ('{"a": 1}', "must hold a list of row objects")],  # an unknown object imported 0 sets with exit 0
)
def test_unusable_files_are_refused_clearly(conn, tmp_path, content, message):
    path = tmp_path / ("bad.json" if content.startswith(("[", "{")) else "bad.csv")
    path.write_text(content)
    with pytest.raises(BadInputError, match=message):
        import_tracklists(conn, path)


def test_missing_file_is_refused(conn, tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        import_tracklists(conn, tmp_path / "nope.csv")


def test_a_name_with_no_letters_is_a_bad_row_not_a_failed_import(conn, tmp_path):
    """Review: MixesDB's '?' as a title stopped the whole import with a ValueError (exit 1). QA: the band '!!!'
    is a real artist, not a name with nothing to know it by."""
    path = tmp_path / "sets.csv"
    path.write_text("set_id,position,artist,title\ns1,1,!!!,Heart of Hearts\ns1,2,Ricardo Villalobos,?\n"
                    "s1,3,Dixon,Dreaming Of\ns1,4,-,--\n", encoding="utf-8")
    report = import_tracklists(conn, path)
    assert report.plays == 2 and [b.line for b in report.bad_rows] == [3, 5]
    assert "needs an artist and a title" in report.bad_rows[0].reason
    assert [r["title"] for r in search_tracks(conn, "heart of hearts")] == ["Heart of Hearts"]


def test_a_mixesdb_spotify_export_imports_by_its_own_column_names(conn, tmp_path):
    """`evaluate --data` read the original DJ recommender's table (set_title, song, spotify_id) but
    `import-tracklists` refused it: 'it needs set_id and either artist + title or track_id'."""
    path = tmp_path / "export.csv"
    path.write_text(",set_title,set_list,artist,song,spotify_id\n"
                    "0, - Dixon @ Panorama Bar,Âme - Rej,Âme,Rej,4uLU6hMCjMI75M1A2tKUQC\n"
                    "1, - Dixon @ Panorama Bar,Dixon - Route 66,Dixon,Route 66,\n", encoding="utf-8")
    report = import_tracklists(conn, path)
    assert (report.sets, report.plays, report.bad_rows) == (1, 2, [])
    row = conn.execute("SELECT title FROM sets").fetchone()
    assert row["title"] == "Dixon @ Panorama Bar"
    assert [r["title"] for r in search_tracks(conn, "rej")] == ["Rej"]


def _write(path, rows: str):
    path.write_text("set_id,artist,title\n" + rows, encoding="utf-8")
    return path


def test_a_file_lacking_tracks_a_stored_set_plays_leaves_it_as_it_was(conn, tmp_path):
    """A file holding the rest of sets imported before (the fixture's input and held-out halves) silently replaced
    them: 4,301 plays were gone and the report only said '711 already in the catalog'. QA: importing the first
    half again after a merge dropped the merged half."""
    import_tracklists(conn, _write(tmp_path / "a.csv", "s1,A,One\ns1,B,Two\ns2,C,Three\n"))
    report = import_tracklists(conn, _write(tmp_path / "b.csv", "s1,D,Four\ns2,C,Three\ns2,E,Five\n"))
    assert (report.kept_sets, report.kept_plays) == (1, 2)  # s1 would lose One and Two
    assert (report.existing_sets, report.existing_plays_before, report.existing_plays_after) == (1, 1, 2)  # s2 grew
    assert count_catalog(conn).plays == 4
    replaced = import_tracklists(conn, tmp_path / "b.csv", replace=True)
    assert (replaced.kept_sets, replaced.existing_plays_before, replaced.existing_plays_after) == (0, 4, 3)


def test_merge_adds_the_tracks_a_set_lacks_after_its_last_and_only_once(conn, tmp_path):
    import_tracklists(conn, _write(tmp_path / "a.csv", "s1,A,One\ns1,B,Two\n"))
    rest = _write(tmp_path / "b.csv", "s1,B,Two\ns1,D,Four\ns1,E,Five\ns3,F,Six\n")
    report = import_tracklists(conn, rest, merge=True)
    assert (report.new_sets, report.plays, report.existing_plays_after - report.existing_plays_before) == (1, 1, 2)
    order = [r[0] for r in conn.execute(
        "SELECT t.title FROM plays p JOIN tracks t ON t.id = p.track_id JOIN sets s ON s.id = p.set_id "
        "WHERE s.source_key = 's1' ORDER BY p.position")]
    assert order == ["One", "Two", "Four", "Five"]
    assert conn.execute("SELECT n_lines FROM sets WHERE source_key = 's1'").fetchone()[0] == 4
    again = import_tracklists(conn, rest, merge=True)
    assert again.existing_plays_after == again.existing_plays_before == 5  # s1 and s3: nothing added


def test_merge_keeps_a_files_own_positions_where_the_set_has_a_gap(conn, tmp_path):
    """Review: positions 2 and 4 merged into a set holding 1 and 3 were appended as 4 and 5, so 'played right
    after' counted Three → Two."""
    head = "set_id,position,artist,title\n"
    (tmp_path / "a.csv").write_text(head + "s1,1,A,One\ns1,3,C,Three\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(head + "s1,2,B,Two\ns1,3,X,Clash\ns1,4,D,Four\n", encoding="utf-8")
    import_tracklists(conn, tmp_path / "a.csv")
    import_tracklists(conn, tmp_path / "b.csv", merge=True)
    order = [tuple(r) for r in conn.execute(
        "SELECT p.position, t.title FROM plays p JOIN tracks t ON t.id = p.track_id ORDER BY p.position")]
    assert order == [(1, "One"), (2, "Two"), (3, "Three"), (4, "Four"), (5, "Clash")]


def test_the_cli_says_which_sets_it_left_and_how_to_change_them(tmp_path, monkeypatch, capsys):
    import cli

    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    first, rest = _write(tmp_path / "a.csv", "s1,A,One\ns1,B,Two\n"), _write(tmp_path / "b.csv", "s1,C,Three\n")
    assert cli.main(["import-tracklists", str(first)]) == 0
    assert cli.main(["import-tracklists", str(rest)]) == 2  # nothing imported: all held back
    assert "1 sets already in the catalog play tracks this file lacks (2 plays): left as they were. Import with " \
           "--merge" in capsys.readouterr().err
    assert cli.main(["import-tracklists", str(rest), "--merge"]) == 0
    assert "1 sets were already in the catalog: 1 plays added to them (--merge)." in capsys.readouterr().out


def test_an_unnumbered_row_repeating_the_row_before_is_read_once(conn, tmp_path):
    """QA: the MixesDB + Spotify export repeats each row once per credited DJ, so 155 real sets played every track
    2-4 times in a row (and 'played right after' counted a track after itself)."""
    report = import_tracklists(conn, _write(tmp_path / "a.csv", "s1,A,One\ns1,A,One\ns1,A,One\ns1,B,Two\ns1,A,One\n"))
    assert report.plays == 3  # One, Two, One: a later return of a track is a real play
    numbered = tmp_path / "n.csv"
    numbered.write_text("set_id,position,artist,title\ns2,1,A,One\ns2,2,A,One\n", encoding="utf-8")
    assert import_tracklists(conn, numbered).plays == 2  # positions given: as written


def test_bug_the_import_summary_counts_in_good_english(tmp_path, monkeypatch, capsys):
    """QA: importing one set said 'Imported 1 new sets with 2 plays; 1 tracks new to the catalog'."""
    import cli

    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["import-tracklists", str(_write(tmp_path / "a.csv", "s1,A,One\ns1,A,One\ns1,B,Two\n"))]) == 0
    assert "Imported 1 new set with 2 plays; 2 tracks new to the catalog; 0 bad rows skipped." in \
        capsys.readouterr().out


@pytest.mark.parametrize("position, problem", [("\u00b2", "is not a whole number"),
                                               ("9" * 25, "is too large")])
def test_bug_an_odd_position_is_a_bad_row_not_a_crash(conn, tmp_path, position, problem):
    """QA: a position '²' (ValueError) or of 25 digits (OverflowError in SQLite) stopped the import with exit 1."""
    path = tmp_path / "sets.csv"
    path.write_text(f"set_id,position,artist,title\ns1,1,Bob,Tune\ns1,{position},Ann,Song\n")
    report = import_tracklists(conn, path)
    assert report.plays == 1 and len(report.bad_rows) == 1
    assert report.bad_rows[0].line == 3 and problem in report.bad_rows[0].reason


def test_bug_a_field_past_the_csv_modules_limit_is_refused_clearly(conn, tmp_path):
    """QA: a field over 131,072 characters (a huge set id, a quote left open) stopped the import with exit 1."""
    path = tmp_path / "sets.csv"
    path.write_text("set_id,position,artist,title\n" + "x" * 200_000 + ",1,Bob,Tune\n")
    with pytest.raises(BadInputError, match="sets.csv cannot be read as CSV at line 2"):
        import_tracklists(conn, path)

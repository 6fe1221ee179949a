"""Parsers on real MixesDB pages (tests/fixtures/mixesdb, provenance in SOURCES.md) and the line grammar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from errors import MarkupChangedError
from scraping.grammar import parse_tracklist_line, split_artists
from scraping.html_page import parse_category_html, parse_mix_html
from scraping.page import to_set_record
from scraping.titles import parse_page_title
from scraping.wikitext import parse_wikitext

FIXTURES = Path(__file__).parent / "fixtures" / "mixesdb"
ROOT = Path(__file__).resolve().parents[1]
MCDE = FIXTURES / "mix-page-2011-07-04-motor-city-drum-ensemble-dj-kicks.html"


def essential_mix(prefix: str):
    pages = json.loads((FIXTURES / "essential-mix-wikitext-12.json").read_text(encoding="utf-8"))
    (path,) = [p for p in pages if p.startswith("/w/" + prefix)]
    title = unquote(path.removeprefix("/w/")).replace("_", " ")
    return parse_wikitext(pages[path]["tracklist"], title)


def entries(page):
    return [
        (line.kind, line.cue, [(p.artist, p.title, p.version) for p in line.parts], line.label, line.catalog)
        for line in page.lines
    ]


# ---- the line grammar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "cue", "artist", "title", "version", "label", "catalog"),
    [
        ("# [000] Xample - Lowdown [Ram - M65D]", "000", "Xample", "Lowdown", None, "Ram", "M65D"),
        ("# [1:02:03] A - B (C Remix) [L]", "1:02:03", "A", "B", "C Remix", "L", None),
        ("[3?] Robert Hood - The Pace", "3?", "Robert Hood", "The Pace", None, None, None),
        ("# [0??] TC & DMinds - Jump (VIP) [D Style]", "0??", "TC & DMinds", "Jump", "VIP", "D Style", None),
        (
            "# [084:06] Rudimental Feat. Anne-Marie - Love [Asylum]",
            "084:06",
            "Rudimental Feat. Anne-Marie",
            "Love",
            None,
            "Asylum",
            None,
        ),
        (
            "# Loose Joints - Pop Your Funk [Vocal Version]",
            None,
            "Loose Joints",
            "Pop Your Funk",
            "Vocal Version",
            None,
            None,
        ),
        ("# Cameo - Money [Reprise]", None, "Cameo", "Money", None, "Reprise", None),
        (
            "# [40:47] I:Cube - [http://www.discogs.com/release/4397 Disco Cubizm (Daft Punk Remix)] [Versatile]",
            "40:47",
            "I:Cube",
            "Disco Cubizm",
            "Daft Punk Remix",
            "Versatile",
            None,
        ),
        (
            "# ''Special Request - Untitled [Unreleased]''",
            None,
            "Special Request",
            "Untitled",
            None,
            "Unreleased",
            None,
        ),
        (
            "# Markus Schulz -Fly To Colors (Genix Remix) [Coldharbour]",
            None,
            "Markus Schulz",
            "Fly To Colors",
            "Genix Remix",
            "Coldharbour",
            None,
        ),
        ("# [088]TC - Texaco Garage [D Style]", "088", "TC", "Texaco Garage", None, "D Style", None),
        (
            "# [??] '''Rewind 2…1999:''' Steve Morley - Reincarnations (DJ JamX Remix) [Neo]",
            "??",
            "Steve Morley",
            "Reincarnations",
            "DJ JamX Remix",
            "Neo",
            None,
        ),
        (
            "<li> [20] Rick 'Poppa' Howard - Can Your Love Find It's Way</li>",
            "20",
            "Rick 'Poppa' Howard",
            "Can Your Love Find It's Way",
            None,
            None,
            None,
        ),
    ],
)
def test_track_lines(line, cue, artist, title, version, label, catalog):
    parsed = parse_tracklist_line(line)
    assert parsed.kind == "track"
    assert parsed.cue == cue
    (part,) = parsed.parts
    assert (part.artist, part.title, part.version) == (artist, title, version)
    assert (parsed.label, parsed.catalog) == (label, catalog)


@pytest.mark.parametrize(
    "line",
    [
        "# ?",
        "[051] ?",
        "# [0??] ?",
        "# ID - ID",
        "# [0:32:06] ID - ID",
        "# Unknown",
        "# [000] Intro",
        "# ''? - Bass Too Dark [Metalheadz]''",
        "# David Guetta & Nicky Romero - ID [Protocol]",
        "# [???]",
    ],
)
def test_unknown_lines(line):
    assert parse_tracklist_line(line).kind == "unknown"


@pytest.mark.parametrize("line", ["...", "# ...", "[12] ...", "…"])
def test_gaps(line):
    assert parse_tracklist_line(line).kind == "gap"


def test_heading_and_blank():
    assert parse_tracklist_line(";Part 2").heading == "Part 2"
    assert parse_tracklist_line("   ") is None
    assert parse_tracklist_line("#") is None


def test_mashup_parts_and_unknown_part():
    line = parse_tracklist_line(
        "# [22:30] Doctor P - Sweet Shop w/ Justice vs. Simian - We Are Your Friends (Acapella)"
    )
    assert [(p.artist, p.title, p.version) for p in line.parts] == [
        ("Doctor P", "Sweet Shop", None),
        ("Justice vs. Simian", "We Are Your Friends", "Acapella"),
    ]
    assert line.parts[1].artists == ["Justice", "Simian"]
    line = parse_tracklist_line("# [29:10] Bobby Burns & Afrojack - Ghettoblaster w/ ID")
    assert line.kind == "track" and [p.unknown for p in line.parts] == [False, True]


@pytest.mark.parametrize(
    ("artist", "names"),
    [
        ("TC Feat. Jakes", ["TC", "Jakes"]),
        ("A ft. B", ["A", "B"]),
        ("Roni Size & Reprazent", ["Roni Size", "Reprazent"]),
        ("Adam Beyer, Chris Avantgarde", ["Adam Beyer", "Chris Avantgarde"]),
        ("Justice vs. Simian", ["Justice", "Simian"]),
        ("Sigma (Re-Lick)", ["Sigma (Re-Lick)"]),
        ("Skrillex x Diplo", ["Skrillex", "Diplo"]),
        ("Mik&Ale", ["Mik&Ale"]),
        ("Duke Dumont & Robin Thicke & A*M*E", ["Duke Dumont", "Robin Thicke", "A*M*E"]),
    ],
)
def test_split_artists_keeps_primary_first(artist, names):
    assert split_artists(artist) == names


def test_featured_artist_in_title_moves_to_artists():
    (part,) = parse_tracklist_line(
        "# [0:22:56] Foreign Beggars - The Sauce (feat. Black Josh & Ivy Lab)"
    ).parts
    assert part.title == "The Sauce"
    assert part.artists == ["Foreign Beggars", "Black Josh", "Ivy Lab"]


# ---- page titles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "date", "djs", "venue", "city", "show"),
    [
        (
            "2006-08-16 - Richie Hawtin @ Cocorico, Riccione",
            "2006-08-16",
            ["Richie Hawtin"],
            "Cocorico",
            "Riccione",
            None,
        ),
        (
            "2011-07-04 - Motor City Drum Ensemble - DJ-Kicks",
            "2011-07-04",
            ["Motor City Drum Ensemble"],
            None,
            None,
            "DJ-Kicks",
        ),
        (
            "2009-08-2X - Motor City Drum Ensemble @ Beach Bar, Electric Elephant Festival, Croatia",
            "2009-08",
            ["Motor City Drum Ensemble"],
            "Beach Bar, Electric Elephant Festival",
            "Croatia",
            None,
        ),
        (
            "2022-07 - Danilo Plessow aka MCDE @ Sunrise Stage, Polifonic Festival, Puglia",
            "2022-07",
            ["Danilo Plessow aka MCDE"],
            "Sunrise Stage, Polifonic Festival",
            "Puglia",
            None,
        ),
        (
            "2018-06-16 - Motor City Drum Ensemble b2b Jeremy Underground @ Sonar, Barcelona",
            "2018-06-16",
            ["Motor City Drum Ensemble", "Jeremy Underground"],
            "Sonar",
            "Barcelona",
            None,
        ),
        (
            "2016-05-21 - Motor City Drum Ensemble vs Jeremy Underground @ Robert Johnson, Germany (Resident Advisor, RA.530)",
            "2016-05-21",
            ["Motor City Drum Ensemble", "Jeremy Underground"],
            "Robert Johnson",
            "Germany",
            "Resident Advisor, RA.530",
        ),
        (
            "2009-12-26 - Benna, Audio Werner, Motor City Drum Ensemble @ Easygoing, Harry Klein, Munich",
            "2009-12-26",
            ["Benna", "Audio Werner", "Motor City Drum Ensemble"],
            "Easygoing, Harry Klein",
            "Munich",
            None,
        ),
        ("199X - Pete Tong @ Manumission", None, ["Pete Tong"], "Manumission", None, None),
        (
            "2026 - Tonino & Lanka @ Ritter Butzke, Berlin",
            "2026",
            ["Tonino", "Lanka"],
            "Ritter Butzke",
            "Berlin",
            None,
        ),
    ],
)
def test_page_titles(title, date, djs, venue, city, show):
    parsed = parse_page_title(title)
    assert (parsed.date, parsed.djs, parsed.venue, parsed.city, parsed.show) == (date, djs, venue, city, show)


def test_page_title_examples_name_the_expected_djs():
    cases = json.loads((FIXTURES / "page-title-examples-with-artists.json").read_text(encoding="utf-8"))
    assert len(cases) == 48
    wrong = [
        (c["expect"], c["expectArtists"])
        for c in cases
        if parse_page_title(c["expect"]).djs != c["expectArtists"]
    ]
    assert not wrong
    for case in cases:  # every example title starts with its (possibly partial) date
        assert parse_page_title(case["expect"]).date == case["expect"].split(" - ")[0]


# ---- the saved HTML page -----------------------------------------------------------------------------


def test_mcde_page_has_exactly_its_22_tracks():
    page = parse_mix_html(MCDE.read_text(encoding="utf-8"))
    assert page.title == "2011-07-04 - Motor City Drum Ensemble - DJ-Kicks"
    tracks = page.to_json()["tracks"]
    assert len(tracks) == 22 and page.n_unknown == 0
    first, last = tracks[0], tracks[-1]
    assert (first["cue"], first["artist"], first["title"]) == ("00", "Sun Ra", "Door To The Cosmos")
    assert (last["position"], last["cue"], last["artist"], last["title"]) == (
        22,
        "70",
        "James Mason",
        "Sweet Power, Your Embrace",
    )
    assert tracks[2]["artist"] == "Rhythm & Sound"  # &amp; decoded
    assert page.styles == ["House", "Deep House", "Funk", "Disco"]
    assert page.tracklist_complete is True
    # nothing of #relatedPages-List (after #bodyBottom) leaks in
    assert all("Motor City Drum Ensemble -" not in (t["title"] or "") for t in tracks)


def test_mcde_page_json_shape_and_record():
    data = parse_mix_html(MCDE.read_text(encoding="utf-8")).to_json()
    assert list(data) == ["title", "date", "djs", "venue", "show", "styles", "tracklist_complete", "tracks"]
    assert list(data["tracks"][0]) == [
        "position",
        "cue",
        "artists",
        "artist",
        "title",
        "version",
        "label",
        "catalog",
        "unknown",
    ]
    record = to_set_record(parse_mix_html(MCDE.read_text(encoding="utf-8")))
    assert record.source == "mixesdb" and record.source_key == data["title"]
    assert record.url == "https://www.mixesdb.com/w/2011-07-04_-_Motor_City_Drum_Ensemble_-_DJ-Kicks"
    assert len(record.plays) == 22 and [p.position for p in record.plays] == list(range(1, 23))
    assert (
        record.date == "2011-07-04"
        and record.show == "DJ-Kicks"
        and record.djs == ["Motor City Drum Ensemble"]
    )


def test_html_and_wikitext_parse_the_same_lines():
    """The HTML list items of the saved page are the same tracklist lines the wikitext parser reads."""
    page = parse_mix_html(MCDE.read_text(encoding="utf-8"))
    wikitext = (
        "== Tracklist ==\n" + "\n".join("# " + line.raw for line in page.lines) + "\n[[Category:House]]\n"
    )
    again = parse_wikitext(wikitext, page.title)
    assert entries(again) == entries(page)


@pytest.mark.parametrize(
    ("mutate", "missing"),
    [
        (lambda s: s.replace('id="Tracklist"', 'id="Tracks"'), "no h2#Tracklist"),
        (lambda s: s[: len(s) // 2], "truncated"),
        (lambda s: s.replace('"wgTitle"', '"wgX"').replace('id="firstHeading"', 'id="x"'), "neither wgTitle"),
        (lambda s: s.replace('<div id="bodyBottom">', "<div>").replace("<h2", "<h3"), "tracklist has no end"),
    ],
)
def test_malformed_html_names_page_and_what_is_missing(mutate, missing):
    with pytest.raises(MarkupChangedError) as error:
        parse_mix_html(mutate(MCDE.read_text(encoding="utf-8")))
    assert missing in str(error.value)
    if "neither" not in missing:
        assert "Motor City Drum Ensemble" in str(error.value)


def test_category_page_links_and_next_page():
    body = "".join(
        f'<li><a href="/w/{t.replace(" ", "_")}" title="{t}">{t}</a></li>' for t in ["A - B", "C - D"]
    )
    page = (
        f'<html><body><ul id="catMixesList">{body}</ul><a href="/db/index.php?title=Category:X&amp;pagefrom=C+-+D"'
        ' title="Category:X">next 200</a><ul id="relatedPages-List"><li><a href="/w/Z" title="Z">Z</a></li></ul>'
        "</body></html>"
    )
    titles, next_url = parse_category_html(page, page_url="http://127.0.0.1:9/w/Category:X")
    assert titles == ["A - B", "C - D"]
    assert next_url == "http://127.0.0.1:9/db/index.php?title=Category:X&pagefrom=C+-+D"


# ---- a dozen real Essential Mix wikitext pages, line by line ------------------------------------------


def test_numbered_list_with_label_and_catalog():
    page = essential_mix("2008-01-19_-_TC")
    lines = entries(page)
    assert len(lines) == 54 and page.n_tracks == 53 and page.n_unknown == 1
    assert lines[0] == ("track", "000", [("Xample", "Lowdown", None)], "Ram", "M65D")
    assert lines[2] == ("track", "0??", [("TC & DMinds", "Jump", "VIP")], "D Style", None)
    assert lines[25] == ("unknown", "0??", [("?", "Bass Too Dark", None)], "Metalheadz", None)
    assert lines[41] == ("track", "088", [("TC", "Texaco Garage", None)], "D Style", None)
    assert lines[-1] == ("track", "1??", [("TC", "Where's My Money", "Jakes Remix")], "D Style", None)
    assert page.to_json()["tracklist_complete"] is False
    assert page.styles == ["Breakbeat", "Drum & Bass"]


def test_list_block_with_headings_gaps_and_unknowns():
    page = essential_mix("2019-03-28_-_Chris_Liebing")
    kinds = [line.kind for line in page.lines]
    assert kinds.count("heading") == 2 and kinds.count("gap") == 6
    assert page.n_tracks == 13 and page.n_unknown == 9
    assert page.lines[0].heading == "Chris Liebing b2b Charlotte de Witte"
    assert entries(page)[2] == (
        "track",
        "003",
        [("Andre Salata & Roland Leesker", "Oi", None)],
        "Afro Acid Digital",
        "AAD 046",
    )
    record = to_set_record(page)
    assert len(record.plays) == 13 and record.n_unknown == 9 and record.extra_lines == 6
    title = page.to_json()
    assert title["djs"] == ["Chris Liebing", "Charlotte de Witte", "Melé", "Themba"]
    assert title["venue"] == "All Gone Pete Tong" and title["show"] == "Essential Mix"


def test_mashups_become_parts_of_one_position():
    page = essential_mix("2010-06-12_-_VA_@_Rockness")
    record = to_set_record(page)
    mashup = [p for p in record.plays if p.cue == "22:30"]
    assert [(p.part, p.track.artist, p.track.title) for p in mashup] == [
        (1, "Doctor P", "Sweet Shop"),
        (2, "Justice vs. Simian", "We Are Your Friends"),
    ]
    assert mashup[0].position == mashup[1].position
    ghetto = [p for p in record.plays if p.cue == "29:10"]
    assert [(p.part, p.track.title) for p in ghetto] == [(1, "Ghettoblaster")]  # the 'w/ ID' part is unknown
    keys = {(p.position, p.part) for p in record.plays}
    assert len(keys) == len(record.plays)


def test_hms_cues_and_id_id():
    page = essential_mix("2018-05-05_-_Ivy_Lab")
    lines = entries(page)
    assert len(lines) == 67 and page.n_unknown == 1
    assert lines[0] == ("track", "0:01:13", [("JPEGMAFIA", "Baby I'm Bleeding", None)], None, None)
    assert lines[17][0] == "unknown" and lines[17][1] == "0:32:06"
    assert lines[-1] == ("track", "1:57:22", [("Tom Calvert", "Wasp", None)], None, None)
    assert page.tracklist_complete is True


def test_plain_list_without_cues():
    page = essential_mix("1993-11-20_-_Danny_Rampling")
    lines = entries(page)
    assert len(lines) == 35 and page.n_tracks == 34
    assert lines[0] == ("track", None, [("K-Klass", "Into The Groove", None)], "Deconstruction", None)
    assert lines[33][0] == "unknown"  # 'Star Dancer [Red Planet]': no artist
    assert lines[-1] == ("track", None, [("The Time Frequency", "Real Love", None)], "Internal Affairs", None)


def test_repeat_page_has_no_tracklist_and_is_not_an_error():
    page = essential_mix("1996-05-05_-_Goldie")
    assert page.kind == "repeat" and page.lines == []


@pytest.mark.parametrize(
    ("prefix", "tracks", "unknown"),
    [
        ("1993-12-18_-_David_Holmes", 19, 2),
        ("2002-12-31_-_VA_@_NYE", 54, 9),
        ("2012-06-15_-_VA_@_Sonar", 80, 2),
        ("2012-06-23_-_Nero", 74, 3),
        ("2014-12-06_-_Oliver_Heldens", 37, 6),
        ("2015-07-1X_-_VA_@_Slam_Tent", 26, 2),
    ],
)
def test_counts_of_other_pages(prefix, tracks, unknown):
    page = essential_mix(prefix)
    assert (page.n_tracks, page.n_unknown) == (tracks, unknown)


def test_slam_tent_list_block_and_partial_date():
    page = essential_mix("2015-07-1X_-_VA_@_Slam_Tent")
    lines = entries(page)
    assert lines[6] == ("track", None, [("The Remote Viewer", "Untitled", None)], "White", None)
    assert lines[20][0] == lines[21][0] == "unknown"
    assert lines[25] == ("track", "00", [("Stevie Wilson", "Follow Me", None)], "!Organism", None)
    assert lines[-1] == ("track", "1?", [("Function", "Reykjavik", None)], None, None)
    assert page.to_json()["date"] == "2015-07"


def test_wikitext_without_tracklist_raises():
    with pytest.raises(MarkupChangedError, match="'2020-01-01 - X - Y'.*no '== Tracklist ==' section"):
        parse_wikitext("== Notes ==\nSome text\n[[Category:Techno]]", "2020-01-01 - X - Y")


# ---- the parse verb ----------------------------------------------------------------------------------


def run_cli(*args, **kwargs):
    code = "import sys, cli; cli.COMMAND_MODULES[:] = ['scraping.commands']; sys.exit(cli.main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, **kwargs
    )


def test_parse_verb_json_on_html_and_wikitext(tmp_path):
    result = run_cli("parse", str(MCDE), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["tracks"]) == 22 and data["styles"][0] == "House"
    wiki = tmp_path / "page.wiki"
    wiki.write_text(
        "== Tracklist ==\n# [00] A - B [L - CAT 1]\n# ?\n...\n# [05] C feat. D - E (F Remix)\n",
        encoding="utf-8",
    )
    result = run_cli("parse", str(wiki), "--title", "2020-02 - X b2b Y @ Club, Town", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["djs"] == ["X", "Y"] and data["date"] == "2020-02" and data["venue"] == "Club"
    assert [(t["position"], t["artist"], t["title"], t["unknown"]) for t in data["tracks"]] == [
        (1, "A", "B", False),
        (2, None, "?", True),
        (3, "C feat. D", "E", False),
    ]
    assert data["tracks"][0]["catalog"] == "CAT 1" and data["tracks"][2]["artists"] == ["C", "D"]
    assert data["tracks"][2]["version"] == "F Remix"


def test_parse_verb_errors_are_one_line(tmp_path):
    result = run_cli("parse", str(tmp_path / "missing.html"))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "not a file" in result.stderr
    bad = tmp_path / "bad.html"
    bad.write_text(MCDE.read_text(encoding="utf-8")[:30000], encoding="utf-8")
    result = run_cli("parse", str(bad))
    assert result.returncode == 3 and "truncated" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "heading",
    [
        '<div class="mw-heading mw-heading2"><h2 id="Tracklist">Tracklist</h2></div>',  # MediaWiki ≥ 1.43 skins
        '<h2><span class="mw-headline" id="Tracklist">Tracklist</span></h2>',  # older MediaWiki
    ],
)
def test_other_heading_markup_and_list_tracks(heading):
    """The tracklist under other heading markup, as `<list>` rows, with a part heading and a gap."""
    rows = "".join(
        f'<div class="list-track">{row}</div>'
        for row in ["[00] Sun Ra - Door To The Cosmos", "[05] ?", "[09] A &amp; B - C (D Remix) [E - F 1]"]
    )
    page = (
        '<html><head><script>RLCONF={"wgTitle":"2020-01-01 - X @ Y, Z","wgCategories":["Techno",'
        f'"Tracklist: incomplete"]}};</script></head><body>{heading}<dl><dt>Part 1</dt></dl>'
        f'<div class="list">{rows}</div><p>...\n</p><p>Some note about the mix.</p>'
        '<div id="bodyBottom"></div><ul id="relatedPages-List"><li><a href="/w/Q" title="Q">Q - R</a></li></ul>'
        "</body></html>"
    )
    parsed = parse_mix_html(page)
    assert [line.kind for line in parsed.lines] == ["heading", "track", "unknown", "track", "gap"]
    data = parsed.to_json()
    assert [(t["position"], t["cue"], t["artist"], t["title"], t["version"]) for t in data["tracks"]] == [
        (1, "00", "Sun Ra", "Door To The Cosmos", None),
        (2, "05", None, "?", None),
        (3, "09", "A & B", "C", "D Remix"),
    ]
    assert (data["tracks"][2]["label"], data["tracks"][2]["catalog"]) == ("E", "F 1")
    assert data["styles"] == ["Techno"] and data["tracklist_complete"] is False and data["venue"] == "Y"


def test_notes_under_an_item_are_not_entries():
    """'#:' continuation lines (rendered as a list inside the item) belong to no track."""
    wiki = parse_wikitext(
        "== Tracklist ==\n# A - B\n#: played twice\n## C - D (alt ID)\n# E - F\n", "2020 - X"
    )
    assert [(p.artist, p.title) for line in wiki.lines for p in line.parts] == [("A", "B"), ("E", "F")]
    html = (
        '<html><head><script>RLCONF={"wgTitle":"2020 - X","wgCategories":["Tracklist: complete"]};</script></head>'
        '<body><h2 id="Tracklist">Tracklist</h2><ol><li>A - B<dl><dd>played twice</dd></dl></li>'
        '<li>E - F<ol><li>C - D (alt ID)</li></ol></li></ol><div id="bodyBottom"></div></body></html>'
    )
    page = parse_mix_html(html)
    assert [(p.artist, p.title) for line in page.lines for p in line.parts] == [("A", "B"), ("E", "F")]


def test_bare_list_is_its_own_tracklist_but_text_without_one_raises():
    page = parse_wikitext("# [00] A - B\n# [05] ?\n...\n[[Category:Techno]]\n", "2020 - X")
    assert [line.kind for line in page.lines] == ["track", "unknown", "gap"] and page.styles == ["Techno"]
    with pytest.raises(MarkupChangedError, match="no '== Tracklist ==' section"):
        parse_wikitext("Just some words.\n[[Category:Techno]]\n", "2020 - X")


def test_category_page_from_real_links():
    """The 112 real mix links and the pagination link of the MCDE category, in the old category markup."""
    lines = (
        (FIXTURES / "category-motor-city-drum-ensemble-links.txt").read_text(encoding="utf-8").splitlines()
    )
    next_link = next(line for line in lines if "pagefrom=" in line)
    links = [line for line in lines if line.startswith("/w/")]
    items = "".join(f'<li><a href="{href}">{unquote(href[3:]).replace("_", " ")}</a></li>' for href in links)
    page = f'<ul id="catMixesList">{items}</ul><a href="{next_link}">next 200</a>'
    titles, next_url = parse_category_html(
        page, page_url="https://www.mixesdb.com/w/Category:Motor_City_Drum_Ensemble"
    )
    assert len(links) == 112 and len(titles) == len(set(links)) == 105  # the list repeats 7 links
    assert "2011-07-04 - Motor City Drum Ensemble - DJ-Kicks" in titles
    assert (
        "2021-11-10 - Danilo Plessow (MCDE) & Hugo LX @ Free Your Funk, La Bellevilloise, Paris (State Of Rhythm, 2021-12-07)"
        in titles
    )
    assert (
        next_url
        == "https://www.mixesdb.com/db/index.php?title=Category:Motor_City_Drum_Ensemble&pagefrom=2023-09"
    )


@pytest.mark.parametrize("line, text", [
    ("# [1:02:03] Roni Size - Down [Talkin' Loud]", "Roni Size - Down [Talkin' Loud]"),
    ("[01] Nono - Body Titam", "Nono - Body Titam"),
    ("01. Nono - Body Titam", "Nono - Body Titam"),
    ("01. [00:00] Nono - Body Titam", "Nono - Body Titam"),  # QA: a number, then a cue
    ("12) [1:02:03] Nono - Body Titam", "Nono - Body Titam"),
    ("12) Nono - Body Titam", "Nono - Body Titam"),
    ("808 State - Pacific", "808 State - Pacific"),
    ("spotify:track:4uLU6hMCjMI75M1A2tKUQC", "spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
    # what playlist exports and video descriptions put first
    ("01 Nono - Body Titam", "Nono - Body Titam"),
    ("03 - Nono - Body Titam", "Nono - Body Titam"),
    ("#3 Nono - Body Titam", "Nono - Body Titam"),
    ("00:00 Nono - Body Titam", "Nono - Body Titam"),
    ("1:02:03 - Nono - Body Titam", "Nono - Body Titam"),
    ("(12:30) Nono - Body Titam", "Nono - Body Titam"),
    ("01 - 808 State - Pacific", "808 State - Pacific"),
    ("1\tNono - Body Titam", "Nono - Body Titam"),  # QA: a number in its own column (a table copied as text)
    ("12\t2 Unlimited - No Limit", "2 Unlimited - No Limit"),
    ("3.\tNono\tBody Titam", "Nono\tBody Titam"),
    # numbers that are names
    ("2 Unlimited - No Limit", "2 Unlimited - No Limit"),
    ("4 Hero - Mr Kirk's Nightmare", "4 Hero - Mr Kirk's Nightmare"),
    ("007 - Goldeneye", "007 - Goldeneye"),
    # unambiguous even with only a space after: two-digit track numbers, zero-padded or three-part timestamps
    ("04:20 Nono - Body Titam", "Nono - Body Titam"),
    ("00:04:20 Nono - Body Titam", "Nono - Body Titam"),
    ("1:04:20 Nono - Body Titam", "Nono - Body Titam"),
    ("4:20 - Nono - Body Titam", "Nono - Body Titam"),
    ("(4:20) - Nono - Body Titam", "Nono - Body Titam"),
    ("01 Nono\tBody Titam", "Nono\tBody Titam"),
    ("01 spotify:track:4uLU6hMCjMI75M1A2tKUQC", "spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
    ("00:00 https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"),
])
def test_pasted_track_text_drops_what_a_copied_tracklist_adds(line, text):
    from scraping.grammar import pasted_track_text

    assert pasted_track_text(line) == text


@pytest.mark.parametrize("line", [
    "009 Sound System - Dreamscape",
    "4:20 Crew - Puff",
    "12:30 Crew - Lunch",
    "0:00 Intro",  # what follows is no `Artist - Title`: nothing is dropped
])
def test_regression_a_number_that_may_start_an_artist_is_kept_on_a_line_of_its_own(line):
    """Review: `009 Sound System - Dreamscape` lost `009` and `4:20 Crew - X` lost `4:20`: a zero-padded
    three-digit number or an unpadded `m:ss` with only a space after may be the artist's own."""
    from scraping.grammar import pasted_track_text

    assert pasted_track_text(line) == line


@pytest.mark.parametrize("lines, texts", [
    (["0:00 Nono - Body Titam", "4:20 Crew - Puff", "8:40 Âme - Rej"], ["Nono - Body Titam", "Crew - Puff", "Âme - Rej"]),
    (["007 Âme - Rej", "008 Nono - Body Titam", "009 Sound System - Dreamscape"],
     ["Âme - Rej", "Nono - Body Titam", "Sound System - Dreamscape"]),
    (["1 Nono - Body Titam", "2 Âme - Rej", "3 2 Unlimited - No Limit"], ["Nono - Body Titam", "Âme - Rej", "2 Unlimited - No Limit"]),
    # two numbers counting up are no list (`seeds` drops them when only the text without them names a track)
    (["008 Nono - Body Titam", "009 Sound System - Dreamscape"], ["008 Nono - Body Titam", "009 Sound System - Dreamscape"]),
    (["2 Unlimited - No Limit", "3 Doors Down - Kryptonite"], ["2 Unlimited - No Limit", "3 Doors Down - Kryptonite"]),
    (["4:20 4:20 Crew - Puff", "9:10 Âme - Rej"], ["4:20 Crew - Puff", "Âme - Rej"]),
    # not a numbered list: a number and a time, or numbers that do not count up
    (["009 Sound System - Dreamscape", "4:20 Crew - Puff"], ["009 Sound System - Dreamscape", "4:20 Crew - Puff"]),
    (["4:20 Crew - Puff", "Nono - Body Titam"], ["4:20 Crew - Puff", "Nono - Body Titam"]),
    (["009 Sound System - Dreamscape", "009 Sound System - Fire"],
     ["009 Sound System - Dreamscape", "009 Sound System - Fire"]),
])
def test_a_number_that_may_start_an_artist_is_dropped_in_a_list_numbered_throughout(lines, texts):
    """In a paste whose every line starts with a number (or every line with a time) counting up, the first one
    on each line is the list's: `4:20 Crew - Puff` between `0:00 …` and `8:40 …` is at 4:20 in a video."""
    from scraping.grammar import pasted_track_texts

    assert pasted_track_texts(lines) == texts


@pytest.mark.parametrize("lines, texts", [
    # the list's own number is `1.`: the artist's `009` and `4:20` after it are names
    (["1. Nono - Body Titam", "2. 009 Sound System - Dreamscape", "3. 4:20 Crew - Puff"],
     ["Nono - Body Titam", "009 Sound System - Dreamscape", "4:20 Crew - Puff"]),
    # artists' numbers that happen to grow are no numbering: a list counts up by one
    (["009 Sound System - Dreamscape", "808 State - Pacific 202"], ["009 Sound System - Dreamscape", "808 State - Pacific 202"]),
    (["009 Sound System - Dreamscape", "24/7 - Spirit"], ["009 Sound System - Dreamscape", "24/7 - Spirit"]),
])
def test_regression_an_artists_number_in_a_numbered_list_is_kept(lines, texts):
    """Review: `1. A - T` / `2. 009 Sound System - D` lost `009` (the `1.` had been dropped already, and the list's
    numbering was then read again on the artist), and two tracks by `009 Sound System` and `808 State` were read as a
    list numbered 9, 808."""
    from scraping.grammar import pasted_track_texts

    assert pasted_track_texts(lines) == texts


def test_regression_a_video_tracklist_under_a_heading_loses_its_times():
    """Review: `Tracklist:` above a video's timestamps made the paste 'not numbered throughout', so `5:45 Nono - Body`
    was searched with its time (before the change every time was dropped)."""
    from scraping.grammar import pasted_track_texts

    lines = ["Tracklist:", "0:00 Âme - Rej", "5:45 Nono - Body Titam", "12:30 Crew - Puff"]
    assert pasted_track_texts(lines) == ["Tracklist:", "Âme - Rej", "Nono - Body Titam", "Crew - Puff"]


@pytest.mark.parametrize("line", ["4:20 https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
                                  "012 spotify:track:4uLU6hMCjMI75M1A2tKUQC"])
def test_regression_a_time_or_number_before_a_spotify_link_is_dropped_on_a_line_of_its_own(line):
    """Review: `4:20 <link>` copied from a video's description kept its `4:20` (it may start `4:20 Crew`), so the
    link was no longer read; before a link a number names no artist."""
    from scraping.grammar import pasted_track_text

    assert pasted_track_text(line) == line.split(" ", 1)[1]

"""CLI verbs for the catalog: `import-tracklists`, `demo`, `stats`."""

from __future__ import annotations

import argparse
import json
import sys

from catalog.db import connect
from catalog.queries import CatalogCounts, count_catalog
from config import user_path
from errors import BadInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-tracklists",
        help="import DJ-set tracklists from a CSV or JSON file",
        description="Rows: set_id, position, artist, title; optional track_id, set_title, date, djs, styles, "
        "spotify_id, label (lists separated by ';'); a MixesDB + Spotify export's set_title and song stand in for "
        "a missing set_id and title; without position, the file's order. Re-importing a file adds nothing twice. "
        "A set already in the catalog is replaced by the file's version only when that version has every track "
        "the set plays (else see --merge and --replace). Bad rows are reported with their line number (row number "
        "for JSON) and skipped.",
    )
    parser.add_argument("file", type=user_path, help="a .csv or .json file")
    parser.add_argument("--source", default="import", help="name of the source these sets come from")
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument("--merge", action="store_true",
                          help="add the file's tracks to sets already in the catalog (for a file that holds the rest "
                          "of sets imported before)")
    existing.add_argument("--replace", action="store_true",
                          help="replace sets already in the catalog by the file's version even where it lacks tracks "
                          "they play (without it, those sets are left as they were)")
    parser.set_defaults(handler=import_command)

    parser = subparsers.add_parser(
        "demo",
        help="build the synthetic demo crate into the data folder",
        description="Writes a deterministic synthetic crate (same seed, same crate) of DJ sets in six styles.",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 7)")
    parser.add_argument("--sets", type=int, default=1600, help="number of sets (default 1600)")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when the catalog already has sets")
    parser.set_defaults(handler=demo_command)

    parser = subparsers.add_parser("stats", help="print catalog counts")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=stats_command)


def import_command(args: argparse.Namespace, settings) -> int:
    from catalog.importer import import_tracklists, row_location

    with connect(settings.catalog_path) as conn:
        report = import_tracklists(conn, args.file, source=args.source, merge=args.merge, replace=args.replace)
    for bad in report.bad_rows[:50]:
        print(f"{row_location(args.file, bad)}: skipped: {bad.reason}", file=sys.stderr)
    if len(report.bad_rows) > 50:
        print(f"… and {len(report.bad_rows) - 50} more bad rows", file=sys.stderr)
    from catalog.playlist_export import counted

    print(
        f"Imported {counted(report.new_sets, 'new set')} with {counted(report.plays, 'play')}; "
        f"{counted(report.new_tracks, 'track')} new to the catalog; {counted(len(report.bad_rows), 'bad row')} skipped."
    )
    if report.existing_sets:
        print(_existing_sets_line(report, merged=args.merge))
    if report.kept_sets:
        kept = (f"{report.kept_sets} sets already in the catalog play tracks this file lacks ({report.kept_plays} "
                "plays): left as they were. Import with --merge to add this file's tracks to them, or with --replace "
                "to make this file's version the set.")
        if report.sets == 0:
            raise BadInputError(kept)
        print(kept, file=sys.stderr)
    if report.sets == 0 and report.bad_rows:
        raise BadInputError(f"{args.file}: no row could be imported; fix the rows named above and import it again.")
    if report.sets == 0:
        raise BadInputError(f"{args.file} has no rows, only a header: add one row per track played "
                            "(set_id, position, artist, title) and import it again.")
    return 0


def _existing_sets_line(report, *, merged: bool) -> str:
    """What became of the file's sets that the catalog already had."""
    before, after = report.existing_plays_before, report.existing_plays_after
    if merged:
        return f"{report.existing_sets} sets were already in the catalog: {after - before} plays added to them (--merge)."
    if before == after:  # the file's version holds every stored track (else it was left), and no more
        return f"{report.existing_sets} sets were already in the catalog with these plays: unchanged ({after} plays)."
    return (f"{report.existing_sets} sets were already in the catalog: replaced by this file's version ({before} "
            f"plays before, {after} now).")


def demo_command(args: argparse.Namespace, settings) -> int:
    from catalog.demo import DEFAULT_SEED, build_demo_crate, save_demo_crate

    with connect(settings.catalog_path) as conn:
        if args.if_missing and count_catalog(conn).sets > 0:
            print(f"The catalog at {settings.catalog_path} already has sets; demo crate not rebuilt.")
            return 0
        crate = build_demo_crate(args.seed if args.seed is not None else DEFAULT_SEED, n_sets=args.sets)
        save_demo_crate(conn, crate)
        counts = count_catalog(conn)
    print(f"Demo crate in {settings.catalog_path}: {counts.sets} sets, {counts.tracks} tracks, {counts.plays} plays.")
    return 0


def stats_command(args: argparse.Namespace, settings) -> int:
    if not settings.catalog_path.exists():
        if args.json:  # a script reading --json gets JSON: every count 0
            print(json.dumps({name: 0 for name in CatalogCounts.__dataclass_fields__}))
        else:
            print(f"No catalog at {settings.catalog_path} yet: run `python cli.py demo` or `import-tracklists`.")
        return 0
    with connect(settings.catalog_path, readonly=True) as conn:
        counts = count_catalog(conn)
    if args.json:
        print(json.dumps(counts.__dict__))
    else:
        for name, value in counts.__dict__.items():
            print(f"{name.replace('_', ' '):>16}: {value}")
    return 0

"""Names a tracklist file may give its columns, for `import-tracklists` and `evaluate --data` alike.

MixesDB + Spotify exports (the original DJ recommender's table) say `set_title` for the set and `song` for the
title; the documented name comes first in each tuple.
"""

from __future__ import annotations

SET_ID_COLUMNS = ("set_id", "set_title")
TITLE_COLUMNS = ("title", "song")
MAX_POSITION = 2**63 - 1  # the largest a `position` may be: SQLite's INTEGER, numpy's int64


def first_present(columns, aliases: tuple[str, ...]) -> str | None:
    """The first of `aliases` among `columns` (lower-cased names), or None."""
    return next((name for name in aliases if name in columns), None)

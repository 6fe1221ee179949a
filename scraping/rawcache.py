"""The raw page cache: every fetched MixesDB page, compressed, keyed by page title, with its fetch time.

Layout: `<raw_dir>/mixesdb/<2 hex>/<sha1 of title>.json.gz`, each a gzip'd JSON object
`{"title", "form": "html"|"wikitext", "url", "fetched_at": ISO-8601 UTC, "text"}`.
Writes are atomic (temporary file + rename), so a killed crawl never leaves half a page.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class RawPage:
    """A page as fetched: `form` says how to parse `text`."""

    title: str
    form: str
    text: str
    url: str | None = None
    fetched_at: str = ""

    def __post_init__(self) -> None:
        if not self.fetched_at:
            self.fetched_at = datetime.now(UTC).isoformat(timespec="seconds")


class RawCache:
    """Compressed raw pages under `root` (normally `settings.raw_dir / "mixesdb"`)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, title: str) -> Path:
        digest = hashlib.sha1(title.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / f"{digest}.json.gz"

    def put(self, page: RawPage) -> Path:
        path = self.path_for(page.title)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as handle:
            json.dump(asdict(page), handle, ensure_ascii=False)
        os.replace(tmp, path)
        return path

    def get(self, title: str) -> RawPage | None:
        path = self.path_for(title)
        return self._read(path) if path.is_file() else None

    def __iter__(self) -> Iterator[RawPage]:
        """Every cached page, in file order (stable across runs)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*.json.gz")):
            page = self._read(path)
            if page is not None:
                yield page

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json.gz")) if self.root.is_dir() else 0

    @staticmethod
    def _read(path: Path) -> RawPage | None:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return RawPage(**json.load(handle))
        except (OSError, ValueError, TypeError):
            return None

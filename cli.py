"""One command line for all offline work: `python cli.py <verb> …`.

Each area registers its verbs from its own `commands` module; a verb's handler
takes `(args, settings)` and returns an exit code (None means 0).
Exit codes (README, "Offline commands"): 0 ok; 2 what the user typed or configured is wrong (`errors.py`);
3 something the tool needs is missing or a service failed (also an unreadable catalog or a full disk);
1 a bug (one sentence; the traceback with -v); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
import traceback

from config import load_settings
from errors import CratediggerError

# Modules with a `register(subparsers)` function, in the order their verbs are listed.
COMMAND_MODULES = [
    "catalog.commands",
    "models.commands",
    "scraping.commands",
    "spotify.commands",
    "audio.commands",
    "audio.demo",
]

EXIT_OK, EXIT_BUG, EXIT_FAILED = 0, 1, 3  # 2 and the rest come with each CratediggerError (errors.py)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python cli.py",
        description="Cratedigger's offline commands: build the catalog, train and publish models, query them.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each step does")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def readable_arguments(argv: list[str]) -> tuple[list[str], int]:
    """`argv` with each argument that is not UTF-8 read as Windows-1252 (`textfile.decode_lines`), and how many.

    Python decodes the command line as UTF-8 and keeps a byte it cannot decode as a lone surrogate
    (`'Titam\\udce9'` for a Latin-1 `Titam\\xe9`), which no search or print can encode. An argument naming an
    existing file keeps its bytes, so a Latin-1 file name is still found.
    """
    from textfile import decode_lines

    out, changed = [], 0
    for arg in argv:
        if any("\udc80" <= ch <= "\udcff" for ch in arg) and not os.path.exists(arg):
            arg = decode_lines(os.fsencode(arg))[0]
            changed += 1
        out.append(arg)
    return out, changed


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv, not_utf8 = readable_arguments(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not_utf8:
        logging.getLogger(__name__).info("%d argument(s) not in UTF-8 read as Windows-1252", not_utf8)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        settings = load_settings()
        # librosa's compiled code goes where the dashboard's sound worker finds it (numba makes the folder
        # only if something compiles): without it the first `python app.py` after `demo-audio` compiled for ~8 s
        from audio.warmup import numba_cache_dir

        os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir(settings.cache_dir)))
        code = args.handler(args, settings)
    except CratediggerError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Interrupted: nothing half-written was kept. Run the same command again: crawl, match-spotify and "
              "fetch-audio continue where they stopped; the others start over.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except sqlite3.OperationalError as error:  # 'database is locked', 'disk I/O error', a full disk
        print(f"error: the catalog could not be read or written ({error}). If another Cratedigger command is "
              "writing to it, let it finish; check that the disk has free space; then run the command again.",
              file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:  # a full disk, a folder without write permission
        print(f"error: {error.strerror or error}{f' ({error.filename})' if error.filename else ''}. Check the path, "
              "its permissions and the free disk space, then run the command again.", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # a bug: one sentence, the traceback with -v  # noqa: BLE001
        if args.verbose:
            traceback.print_exc()
        print(f"error: an unexpected {type(error).__name__} ({error}); this is a bug in Cratedigger. Run the "
              "command again with -v to see where it happened, and report it.", file=sys.stderr)
        return EXIT_BUG
    return EXIT_OK if code is None else int(code)


if __name__ == "__main__":
    sys.exit(main())

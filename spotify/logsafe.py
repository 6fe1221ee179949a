"""Keeping tokens, authorization codes and secrets out of every log line.

spotipy logs request headers (bearer tokens, the Basic client credentials) and
token-request bodies at DEBUG; werkzeug logs callback URLs with `?code=…&state=…`.
`install_log_redaction()` attaches a filter to those loggers (and ours) that
rewrites each record before any handler sees it.
"""

from __future__ import annotations

import logging
import re

# Loggers whose records may carry secrets. A logger's filter sees the records created on that logger.
REDACTED_LOGGERS = (
    "spotipy",
    "spotipy.client",
    "spotipy.oauth2",
    "spotipy.cache_handler",
    "spotipy.util",
    "werkzeug",
    "urllib3.connectionpool",
    "spotify",
    "spotify.client",
    "spotify.oauth",
    "spotify.export",
    "spotify.matching",
    "spotify.previews",
)

_PATTERNS = [
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+"), r"\1 [redacted]"),
    (re.compile(r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*)(['\"]?)[^'\",}]*\2"), r"\1\2[redacted]\2"),
    (
        re.compile(
            r"(?i)(['\"]?\b(?:access_token|refresh_token|code|client_secret|state|token|code_verifier)['\"]?"
            r"\s*[:=]\s*)(['\"]?)[^'\"&\s,}]+\2"
        ),
        r"\1\2[redacted]\2",
    ),
]


def redact(text: str) -> str:
    """`text` with bearer/basic credentials and token/code/secret/state values replaced by `[redacted]`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretRedactingFilter(logging.Filter):
    """Rewrites a record's message with `redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error reporting
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = SecretRedactingFilter()


def install_log_redaction(names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
    """Attach the redacting filter to `names` (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

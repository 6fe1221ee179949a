"""The one error hierarchy of Cratedigger.

Every message is meant for a person: it says what happened and what to do.
The CLI exits with `exit_code`: 2 when what the user typed or configured is wrong (`BadInputError`,
`NotFoundError`, `ConfigError`: fix the command or the settings), 3 when something the tool needs is
missing or a service failed (`ArtifactMissingError`, `ExternalServiceError`, `MarkupChangedError`: run the
step it names first, or try again later).
"""


class CratediggerError(Exception):
    """Root of every error Cratedigger raises on purpose."""

    exit_code = 3


class BadInputError(CratediggerError, ValueError):
    """The user gave something malformed (an ID, a file, an option)."""

    exit_code = 2


class ConfigError(CratediggerError):
    """Settings are missing or invalid."""

    exit_code = 2


class NotFoundError(CratediggerError, LookupError):
    """Well-formed input that names nothing we know (an unknown track, an unknown run id)."""

    exit_code = 2


class ArtifactMissingError(CratediggerError):
    """Something an earlier step makes is missing (the catalog, a published model, audio, a sound model)."""


class MarkupChangedError(CratediggerError):
    """A scraped page does not have the structure the parser expects."""


class ExternalServiceError(CratediggerError):
    """A remote service (MixesDB, Spotify, Deezer) failed or refused."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def quoted(text: str, limit: int = 80) -> str:
    """What the user typed, for a message: in double quotes as typed (not repr), one line, cut to `limit` with "…".

    `quoted("Solo - Home")` → `"Solo - Home"`; a backslash stays one backslash; 5,000 a's → 79 a's and "…".
    """
    text = str(text)
    if any(ch in text for ch in "\n\r\t"):
        text = " ".join(text.split())
    return f'"{text}"' if len(text) <= limit else f'"{text[: limit - 1]}…"'

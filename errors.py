"""The one error hierarchy of Cratedigger.

Every message is meant for a person: it says what happened and what to do.
The CLI maps `BadInputError`/`ConfigError` to exit code 2 and the rest to 3.
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
    """Well-formed input that names nothing we know (an unknown track)."""


class ArtifactMissingError(CratediggerError):
    """A model run or file that should exist does not."""


class MarkupChangedError(CratediggerError):
    """A scraped page does not have the structure the parser expects."""


class ExternalServiceError(CratediggerError):
    """A remote service (MixesDB, Spotify, Deezer) failed or refused."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

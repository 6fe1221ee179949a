"""Settings from the environment and an optional git-ignored `.env`.

Every environment variable the product reads is named here, and every path under
the data folder is derived here. Nothing is read at import time: call
`load_settings()` when you need settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent

ENV_DATA_DIR = "CRATEDIGGER_DATA_DIR"
ENV_HOST = "CRATEDIGGER_HOST"
ENV_PORT = "CRATEDIGGER_PORT"
ENV_SPOTIFY_API_URL = "CRATEDIGGER_SPOTIFY_API_URL"
ENV_SPOTIFY_ACCOUNTS_URL = "CRATEDIGGER_SPOTIFY_ACCOUNTS_URL"
ENV_SPOTIFY_CLIENT_ID = "SPOTIPY_CLIENT_ID"
ENV_SPOTIFY_CLIENT_SECRET = "SPOTIPY_CLIENT_SECRET"
ENV_SPOTIFY_REDIRECT_URI = "SPOTIPY_REDIRECT_URI"
ENV_DEEZER_PREVIEWS = "CRATEDIGGER_DEEZER_PREVIEWS"
ENV_DEEZER_API_URL = "CRATEDIGGER_DEEZER_API_URL"
ENV_MIXESDB_URL = "CRATEDIGGER_MIXESDB_URL"
ENV_USER_AGENT = "CRATEDIGGER_USER_AGENT"
ENV_CONTACT = "CRATEDIGGER_CONTACT"
ENV_LIBRARY_DIR = "CRATEDIGGER_LIBRARY_DIR"
ENV_CHROMEDRIVER = "SE_CHROMEDRIVER"
ENV_CHROMIUM = "CRATEDIGGER_CHROMIUM"
ENV_OFFLINE = "CRATEDIGGER_OFFLINE"

DEFAULT_PORT = 8050


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """All configuration of one Cratedigger instance; paths are absolute."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    spotify_client_id: str | None = None
    spotify_client_secret: str | None = field(default=None, repr=False)
    spotify_redirect_uri: str | None = None
    spotify_api_url: str = "https://api.spotify.com/v1/"
    spotify_accounts_url: str = "https://accounts.spotify.com/"
    deezer_previews: bool = True
    deezer_api_url: str = "https://api.deezer.com/"
    mixesdb_url: str = "https://www.mixesdb.com"
    contact: str = "https://github.com/cratedigger/cratedigger/issues"
    user_agent: str | None = None
    library_dir: Path | None = None
    chromedriver: str = "/usr/bin/chromedriver"
    chromium: str | None = None
    offline: bool = False  # never probe or embed outside services (Spotify's player)

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def current_model_link(self) -> Path:
        return self.models_dir / "current"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def http_user_agent(self) -> str:
        return self.user_agent or f"Cratedigger/0.1 (DJ track discovery; +{self.contact})"

    @property
    def spotify_redirect(self) -> str:
        return self.spotify_redirect_uri or f"http://127.0.0.1:{self.port}/spotify/callback"

    @property
    def has_spotify_credentials(self) -> bool:
        return bool(self.spotify_client_id and self.spotify_client_secret)


def read_dotenv(path: Path) -> dict[str, str]:
    """Key/value pairs of a `.env` file; an absent file gives `{}`."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def user_path(text: str | Path) -> Path:
    """A path the user gave, with `~` expanded: a quoted `'~/x'` (or one in `.env`) reaches us as typed."""
    return Path(text).expanduser()


def load_settings(environ: dict[str, str] | None = None, dotenv_path: Path | None = None) -> Settings:
    """Settings from `environ` (default `os.environ`) over the `.env` file (default `./.env`)."""
    env = dict(read_dotenv(dotenv_path or PROJECT_ROOT / ".env"))
    env.update(os.environ if environ is None else environ)

    data_dir = user_path(env.get(ENV_DATA_DIR) or PROJECT_ROOT / "data").resolve()
    port_text = env.get(ENV_PORT) or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        from errors import ConfigError

        raise ConfigError(f"{ENV_PORT}={port_text!r} is not a port number (1-65535).")
    library = env.get(ENV_LIBRARY_DIR)
    defaults = Settings(data_dir=data_dir)
    return Settings(
        data_dir=data_dir,
        host=env.get(ENV_HOST) or defaults.host,
        port=int(port_text),
        spotify_client_id=env.get(ENV_SPOTIFY_CLIENT_ID) or None,
        spotify_client_secret=env.get(ENV_SPOTIFY_CLIENT_SECRET) or None,
        spotify_redirect_uri=env.get(ENV_SPOTIFY_REDIRECT_URI) or None,
        spotify_api_url=env.get(ENV_SPOTIFY_API_URL) or defaults.spotify_api_url,
        spotify_accounts_url=env.get(ENV_SPOTIFY_ACCOUNTS_URL) or defaults.spotify_accounts_url,
        deezer_previews=_truthy(env.get(ENV_DEEZER_PREVIEWS), True),
        deezer_api_url=env.get(ENV_DEEZER_API_URL) or defaults.deezer_api_url,
        mixesdb_url=env.get(ENV_MIXESDB_URL) or defaults.mixesdb_url,
        contact=env.get(ENV_CONTACT) or defaults.contact,
        user_agent=env.get(ENV_USER_AGENT) or None,
        library_dir=user_path(library).resolve() if library else None,
        chromedriver=str(user_path(env.get(ENV_CHROMEDRIVER) or defaults.chromedriver)),
        chromium=str(user_path(env[ENV_CHROMIUM])) if env.get(ENV_CHROMIUM) else None,
        offline=_truthy(env.get(ENV_OFFLINE), False),
    )

"""The server's one typed settings object: the core's Settings plus how to serve them.

Values come, from weakest to strongest, from the defaults, an optional TOML file, `RECOMMENDER_*`
environment variables and explicit overrides (the `serve` command's options):

    # api.toml
    index = "/srv/recommender/index"
    api_host = "0.0.0.0"
    api_keys = ["acme-deal-room:buyer:4f0c...e91a", "ops:admin:77aa...03c1"]

    RECOMMENDER_API_KEYS="acme-deal-room:buyer:4f0c...e91a ops:admin:77aa...03c1"   # whitespace-separated
    RECOMMENDER_API_CORS_ORIGINS="https://room.acme.example https://crm.example.com"  # browsers allowed to call

Several libraries (issue 13): `libraries = {emea = "/srv/emea", apac = "/srv/apac"}` in the file, or
`RECOMMENDER_LIBRARIES="emea=/srv/emea,apac=/srv/apac"`; keys and webhook sources are then bound to them
(`<name>:<scopes>:<sha256>:emea`, `<source>@emea:<secret>`).

With no keys configured the server may listen on a loopback address only.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_settings import EnvSettingsSource, NoDecode, SettingsConfigDict

from indexer.settings import LibraryNames, Settings
from recommender.api.errors import ServerConfigError
from recommender.api.keys import ApiKey

KEYS_HINT = (
    "Create a key with 'recommender keys create --name NAME --scope buyer' and put the line it prints in "
    "RECOMMENDER_API_KEYS (or api_keys in the --config file)."
)
MAX_BODY_BYTES = 64 * 1024
MIN_SECRET_CHARS = 24


class WebhookSource(BaseModel):
    """A deal room allowed to post engagement events, the secret it signs them with, and its libraries.

    Configured as `<source>:<secret>`, or `<source>@<library>[,<library>]:<secret>` when bound to libraries.
    """

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    secret: Annotated[str, StringConstraints(min_length=MIN_SECRET_CHARS)]
    libraries: LibraryNames = frozenset()

    @classmethod
    def parse(cls, line: str) -> WebhookSource:
        source, sep, secret = line.strip().partition(":")
        name, bound, libraries = source.partition("@")
        if not sep:
            raise ValueError(
                f"'{name[:20]}...' is not a webhook source line; expected <source>[@<library>[,...]]:<secret>"
            )
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"the secret of webhook source '{name}' is shorter than {MIN_SECRET_CHARS} characters")
        return cls(name=name, secret=secret, libraries=frozenset(libraries.split(",") if bound else ()))

    def __repr__(self) -> str:
        return f"WebhookSource(name={self.name!r}, libraries={sorted(self.libraries)!r}, secret=***)"


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin(text: str) -> str:
    """An origin as browsers send it (scheme://host[:port], lower case, no path), or a ValueError saying why not."""
    parts = urlsplit(text.strip().rstrip("/"))
    if text.strip() == "*":
        raise ValueError(
            "'*' is not allowed in api_cors_origins: name each deal-room origin, like https://room.example.com"
        )
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
        raise ValueError(
            f"'{text}' is not an origin: give scheme, host and optional port only, like https://room.example.com:8443"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


class ServerSettings(Settings):
    """Where the index is and which model embeds (from Settings), and how the HTTP API serves them."""

    model_config = SettingsConfigDict(env_prefix="RECOMMENDER_", extra="ignore")

    api_host: str = Field(default="127.0.0.1", description="address to listen on; without keys only a loopback address")
    api_port: int = Field(default=8000, ge=0, le=65535)
    api_keys: Annotated[tuple[ApiKey, ...], NoDecode] = Field(
        default=(), description="key lines <name>:<scopes>:<sha256>"
    )
    api_rate_per_minute: float = Field(
        default=120.0, gt=0, le=1_000_000, description="sustained requests per minute per key"
    )
    api_rate_burst: int = Field(
        default=30, ge=1, le=100_000, description="requests a key may send at once before the rate applies"
    )
    api_max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1024, le=1024 * 1024)
    api_workers: int = Field(
        default=4, ge=1, le=64, description="requests computed at once (threads); the rest wait their turn"
    )
    api_limit_concurrency: int = Field(
        default=1000,
        ge=1,
        le=10_000,
        description="open connections (idle ones too) or running requests before uvicorn answers 503",
    )
    api_keep_alive_seconds: int = Field(
        default=5, ge=1, le=300, description="an idle kept-alive connection is closed after this"
    )
    api_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="a request's line and headers must arrive within this (from the connection opening or the "
        "previous answer), or the connection gets 408 and is closed",
    )
    api_body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="a request's body must arrive within this of its headers, or 408"
    )
    api_max_connections_per_client: int = Field(
        default=64,
        ge=0,
        le=100_000,
        description="open connections one client address may hold; more are refused with 503 (0: no cap; "
        "behind a reverse proxy every client has the proxy's address)",
    )
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="browser origins (deal rooms) allowed to call the API, like https://room.example.com; "
        "none by default: no CORS headers",
    )
    events_secrets: Annotated[tuple[WebhookSource, ...], NoDecode] = Field(
        default=(), description="webhook sources for POST /v1/events, as lines <source>:<secret>"
    )

    @field_validator("events_secrets", mode="before")
    @classmethod
    def _source_lines(cls, value: Any) -> Any:
        lines = value.replace(";", " ").split() if isinstance(value, str) else value
        return tuple(WebhookSource.parse(x) if isinstance(x, str) else x for x in lines)

    def webhook_secrets(self) -> dict[str, str]:
        return {s.name: s.secret for s in self.events_secrets}

    def webhook_libraries(self) -> dict[str, frozenset[str]]:
        """The libraries each webhook source is bound to (none: only on a server with a single library)."""
        return {s.name: s.libraries for s in self.events_secrets}

    @field_validator("api_keys", mode="before")
    @classmethod
    def _key_lines(cls, value: Any) -> Any:
        lines = value.replace(";", " ").split() if isinstance(value, str) else value
        return tuple(ApiKey.parse(x) if isinstance(x, str) else x for x in lines)

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        items = value.replace(";", " ").split() if isinstance(value, str) else value
        return tuple(origin(str(x)) for x in items)

    @model_validator(mode="after")
    def _safe_to_serve(self) -> ServerSettings:
        names = [k.name for k in self.api_keys]
        digests = [k.digest for k in self.api_keys]
        if len(set(names)) != len(names) or len(set(digests)) != len(digests):
            raise ValueError("two configured keys share a name or a digest; each key needs its own")
        if not self.api_keys and not is_loopback(self.api_host):
            raise ValueError(
                "no API keys are configured, so the server may only listen on a loopback address "
                f"(127.0.0.1, ::1, localhost), not {self.api_host}"
            )
        return self

    @classmethod
    def load(cls, config: Path | None = None, **overrides: Any) -> ServerSettings:
        """Defaults < the TOML file < RECOMMENDER_* environment < `overrides` (None means not given)."""
        values = {
            **_read_file(config),
            **EnvSettingsSource(cls)(),
            **{k: v for k, v in overrides.items() if v is not None},
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ServerConfigError(
                f"the server settings are not valid: {_describe(exc)}", hint=KEYS_HINT if "API keys" in str(exc) else ""
            ) from exc


def _read_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ServerConfigError(
            f"cannot read the settings file {path}: {exc}",
            hint="Give a TOML file with keys such as index, api_host, api_keys.",
        ) from exc
    unknown = sorted(set(data) - set(ServerSettings.model_fields))
    if unknown:
        raise ServerConfigError(
            f"unknown setting(s) {', '.join(unknown)} in {path}",
            hint=f"known settings: {', '.join(ServerSettings.model_fields)}",
        )
    return data


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)

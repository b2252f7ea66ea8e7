"""Settings of a kassa-server process, read once from ``KASSA_*`` variables and passed down explicitly.

No other module reads ``os.environ``. Every choice the spec marks [I] (inferred) is a named option here, with the
spec section it stands for, so a user can switch it when a real client behaves otherwise.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kassa_server.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///kassa.sqlite3"
ENV_PREFIX = "KASSA_"


@dataclass(frozen=True)
class Limits:
    """Sizes and times that protect the server from a client (soap-services.md §1.3)."""

    max_request_body: int = 64 * 1024 * 1024
    """A client may send a whole file as one base64 part: 64 MiB by default."""
    max_message_bytes: int = 128 * 1024 * 1024
    """An incoming message (the first ZIP entry) that inflates past this is refused with the archive error. It is
    inflated into a temporary file (spilled to disk past 1 MiB), never whole into memory or into a database blob."""
    max_zip_ratio: int = 200
    """The largest compression ratio of an incoming message's ZIP entry (zip bombs)."""
    max_transfer_bytes: int = 128 * 1024 * 1024
    """The parts of one incoming transfer (``PutFilePart``) may hold at most this many bytes in all."""
    max_infobase_transfer_bytes: int = 512 * 1024 * 1024
    """The incoming parts of one infobase, all transfers together, may hold at most this many bytes."""
    transfer_expiry_seconds: int = 24 * 3600
    """Files and transfers nobody took or released are deleted after this long (soap-services.md §6: 24 h [I])."""
    purge_interval_seconds: int = 600
    """How often the server looks for expired files, transfers and operations while it serves; 0 = only at start."""
    journal_body_limit: int = 64 * 1024
    """How much of each SOAP request and response body the call journal keeps."""
    max_upload: int = 32 * 1024 * 1024
    """The largest form a person may send to the back office (a goods CSV): 32 MiB by default."""
    worker_threads: int = 16
    """SOAP calls handled at once per process (spyne runs in worker threads); more requests wait."""
    heavy_calls: int = 2
    """Calls that build or import a whole exchange message (``UploadData``, ``DownloadData``,
    ``PrepareDataForGetting``, ``PutData``) running at once per process, within ``worker_threads``; more wait for
    their turn without holding a thread, so a burst of first syncs queues instead of allocating side by side. 0: no
    such limit."""
    heavy_call_wait_seconds: int = 300
    """How long such a call waits for its turn; then it is answered 503 with ``Retry-After`` (the protocol has no
    "busy" fault). 0: it does not wait."""
    keep_alive_seconds: int = 60
    """How long an idle HTTP connection stays open. Longer than a client's pause between calls, so a client never
    sends a request on a connection the server is closing (uvicorn's own default is 5 s)."""
    # -- work before authentication and per request (issue 14; README "Limits and hardening")
    max_path_bytes: int = 2048
    """A longer request path is refused with 414 before any infobase look-up."""
    max_base_candidates: int = 4
    """How many ``<base>/ws/`` splits of one path are looked up (a base name may itself contain ``/ws/``)."""
    max_header_bytes: int = 16 * 1024
    """Request line plus headers; a longer head is refused with 431 and the connection closed."""
    header_timeout_seconds: int = 10
    """Time a client may take to send a request line and headers, counted from the connection or from the end of the
    previous response (a connection that sends nothing is closed after it); on expiry: 408 and close."""
    body_timeout_seconds: int = 300
    """Time a client may take to send one request body once its headers are in; on expiry: 408 and close."""
    max_connections: int = 1000
    """Open HTTP connections per process; one more is closed at once. Capped further by the file-descriptor limit
    less ``reserved_file_descriptors``."""
    max_connections_per_address: int = 200
    """Open connections from one client address, so one client cannot take every slot; 0: no such cap. Behind a
    reverse proxy every connection comes from the proxy: set it to ``max_connections`` (README, "Limits")."""
    reserved_file_descriptors: int = 64
    """File descriptors kept free for the database, temporary files and logs when connections are many."""
    listen_backlog: int = 1024
    """Connections the kernel queues before the server accepts them."""
    auth_threads: int = 2
    """Threads for password checks (scrypt), apart from the SOAP worker threads."""
    max_login_failures: int = 5
    """Failed logins per (infobase, login) within ``login_failure_window_seconds``; then 401 without a check."""
    max_address_failures: int = 50
    """Failed logins per client address within ``login_failure_window_seconds``; then 401 without a check."""
    login_failure_window_seconds: int = 300
    """The window in which failed logins are counted for the two limits above."""
    max_xml_elements: int = 100_000
    """Elements in one SOAP request; more is a client Fault before spyne reads it."""
    max_xml_attributes: int = 64
    """Attributes on one element of a SOAP request; more is a client Fault before spyne reads it."""
    max_quoted_chars: int = 256
    """How much of a client's value a fault, a log line or the journal quotes."""

    def __post_init__(self) -> None:
        for name in ("heavy_calls", "heavy_call_wait_seconds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{ENV_PREFIX}LIMITS_{name.upper()}: 0 or more")


@dataclass(frozen=True)
class ProtocolOptions:
    """Inferred protocol behaviour ([I] in ../shared/spec), each switchable."""

    initial_format_version: str = "1.8"
    """Version of downloads before the device has told its versions (mobile-kassa.md §5)."""
    supported_format_versions: tuple[str, ...] = ("1.7", "1.8", "1.10", "1.16", "1.17", "1.19", "1.20", "1.21")
    """EnterpriseData versions offered and accepted: the ones 1С:Мобильная касса declares (mobile-kassa.md §5)."""
    auto_create_nodes: bool = False
    """Create a node on first contact for an unknown code (mobile-kassa.md §4); test option."""
    strict_node_identity: bool = True
    """Reject, as SSL does, a message whose ``To``/``From`` is not us/the caller, and each till document that names
    another device's register or organization; off: journal them and apply (enterprisedata.md §6)."""
    operation_active_polls: int = 0
    """Long operations report ``Active`` for this many polls before their real state, so clients can test polling."""
    send_deletions: bool = True
    """Send ``УдалениеОбъекта`` for deleted objects already sent to a node (enterprisedata.md §11)."""
    qr_node_field: str = "factory_number"
    """Second field of the connection QR: ``factory_number`` or ``node_code`` (mobile-kassa.md §2.2)."""
    qr_login_encoding: str = "base64"
    """Third field of the connection QR: ``base64`` or ``plain`` (mobile-kassa.md §2.2)."""
    acknowledgement_mode: str = "message"
    """``message``: the device's ``ReceivedNo`` acknowledges (SSL semantics); ``transport``: a confirmed download
    (``ConfirmGettingFile``/``ReleaseFile``) acknowledges it; ``none``: never, resend all (enterprisedata.md §4.3)."""
    strict_format: bool = False
    """Reject a whole incoming message on the first invalid object instead of skipping that object."""
    format_timezone: str = "UTC"
    """Zone of the format's zone-less dates (the infobase's local time); stored times are UTC (exchange/clock.py)."""
    stock_refresh_minutes: int = 1440
    """A device gets its store's stock snapshot (``ИнформативныеОстатки``) after any balance changed, and again once
    its last one is older than this, so the snapshot's date stays current; 0: only after a change."""

    def __post_init__(self) -> None:
        choices = {
            "acknowledgement_mode": ("message", "transport", "none"),
            "qr_node_field": ("factory_number", "node_code"),
            "qr_login_encoding": ("base64", "plain"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{ENV_PREFIX}PROTOCOL_{name.upper()}: one of {', '.join(allowed)}")
        try:
            zoneinfo.ZoneInfo(self.format_timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ConfigError(f"{ENV_PREFIX}PROTOCOL_FORMAT_TIMEZONE: not a known time zone") from None
        if self.initial_format_version not in self.supported_format_versions:
            raise ConfigError(f"{ENV_PREFIX}PROTOCOL_INITIAL_FORMAT_VERSION: not among the supported versions")
        if self.stock_refresh_minutes < 0:
            raise ConfigError(f"{ENV_PREFIX}PROTOCOL_STOCK_REFRESH_MINUTES: 0 (only after a change) or more")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL: SQLite by default; PostgreSQL as ``postgresql+psycopg://user:pass@host/db``."""
    host: str = "127.0.0.1"
    """The address ``serve`` listens on (``0.0.0.0`` or ``::`` for every interface: then set ``public_url``)."""
    port: int = 8080
    """The port ``serve`` listens on."""
    workers: int = 1
    """Worker processes of ``serve``; each stops by itself when its supervisor dies."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses whose ``X-Forwarded-*`` headers are believed when deriving the WSDL address."""
    debug: bool = False
    """Put Python tracebacks into SOAP Faults. Never in production."""
    demo: bool = False
    """``serve`` seeds the demo shop first when the database has none, as ``serve --demo`` (the Docker switch)."""
    secret_key: str = ""
    """Signs the back office's session cookies. Empty: a random key per start (sessions end with a restart); set it
    for several worker processes or hosts."""
    admin_token: str = ""
    """Bearer token of the control API at ``/api/v1`` (``KASSA_ADMIN_TOKEN``). With neither this nor a token made by
    ``kassa-server token create`` the API is off."""
    access_log: bool = True
    """uvicorn's line per HTTP request on standard error. The call journal records every SOAP call either way; a busy
    server may turn this off (``KASSA_ACCESS_LOG=0``, ``serve --no-access-log``) and save its cost on every call."""
    journal_max_rows: int = 100_000
    """The call journal keeps at most this many calls (the newest); 0: no limit."""
    journal_max_age_days: int = 30
    """The call journal forgets calls older than this; 0: no limit."""
    journal_prune_seconds: int = 300
    """How often a running server applies the two limits above (in a background thread, off the request path)."""
    public_url: str | None = None
    """«Адрес в интернете» as a template: ``{base}`` becomes the infobase's name (``https://shop.example.ru/{base}``).
    Used for infobases without their own public URL; a server bound to all interfaces needs it (or the infobase's own
    URL) for QR codes, since it cannot know which address the devices reach."""
    zip_deflater: str = "zlib-ng"
    """Deflate implementation of the server's outgoing archives: ``zlib-ng`` (the zlib-ng package: about a third of
    zlib's CPU at level 9, the archive ~6 % larger on a big catalogue) or ``zlib`` (Python's own). The level is the
    protocol's either way: maximum (9) for Exchange_2_0_1_6, default (6) for EnterpriseDataExchange (soap-services.md
    §6); any Deflate stream is read by the clients."""
    limits: Limits = field(default_factory=Limits)
    protocol: ProtocolOptions = field(default_factory=ProtocolOptions)
    test_crash_point: str = ""
    """TEST ONLY (``KASSA_TEST_CRASH_POINT``): kill the server with SIGKILL when it reaches this named point, as
    ``name`` or ``name:N`` (the N-th time). The crash tests use it (tests/crash/); never set it in production."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Read ``KASSA_<NAME>`` for top-level fields and ``KASSA_LIMITS_<NAME>``/``KASSA_PROTOCOL_<NAME>`` for nested
        ones; keyword overrides (from CLI flags) win when not None."""
        top = _read(cls, environ, ENV_PREFIX, skip={"limits", "protocol"})
        limits = Limits(**_read(Limits, environ, ENV_PREFIX + "LIMITS_"))
        protocol = ProtocolOptions(**_read(ProtocolOptions, environ, ENV_PREFIX + "PROTOCOL_"))
        top.update({k: v for k, v in overrides.items() if v is not None})
        return cls(limits=limits, protocol=protocol, **top)

    def __post_init__(self) -> None:
        for name in ("journal_max_rows", "journal_max_age_days"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()}: 0 (no limit) or more")
        if self.journal_prune_seconds < 1:
            raise ConfigError(f"{ENV_PREFIX}JOURNAL_PRUNE_SECONDS: at least 1")
        if self.zip_deflater not in ("zlib-ng", "zlib"):
            raise ConfigError(f"{ENV_PREFIX}ZIP_DEFLATER: one of zlib-ng, zlib")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def listens_everywhere(self) -> bool:
        """Bound to all interfaces (0.0.0.0, ::): no address of this machine is known to be the one devices reach."""
        return self.host in {"0.0.0.0", "::", "", "[::]"}

    def public_url_for(self, base: str) -> str | None:
        """The ``public_url`` template filled in for ``base``; None when it is not set."""
        if not self.public_url:
            return None
        if "{base}" in self.public_url:
            return self.public_url.replace("{base}", base)
        return self.public_url.rstrip("/") + "/" + base


def _read(cls: type, environ: Mapping[str, str], prefix: str, skip: frozenset[str] | set[str] = frozenset()) -> dict:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        name = prefix + f.name.upper()
        if name not in environ:
            continue
        values[f.name] = _cast(name, environ[name], f.default)
    return values


def _cast(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise ConfigError(f"{name}: cannot read {raw!r} as {type(default).__name__}") from None

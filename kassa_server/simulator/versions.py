"""EnterpriseData versions the simulator writes, and negotiation (enterprisedata.md §8)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SUPPORTED_VERSIONS", "at_least", "format_namespace", "negotiate", "version_key"]

FORMAT_BASE = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData"

# The app's own list is 1.7 … 1.21 (mobile-kassa.md §5). 1.7 has no Справочник.СостояниеЗаказа, which the simulator
# must write, so it declares the other seven.
SUPPORTED_VERSIONS: tuple[str, ...] = ("1.8", "1.10", "1.16", "1.17", "1.19", "1.20", "1.21")


def version_key(version: str) -> tuple[int, ...] | None:
    """Numeric key of `1.10`; None for non-numeric versions such as `1.8.Cashbox` (kept out of the maximum)."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def at_least(version: str, minimum: str) -> bool:
    key, floor = version_key(version), version_key(minimum)
    assert key is not None and floor is not None, (version, minimum)
    return key >= floor


def negotiate(ours: Iterable[str], theirs: Iterable[str]) -> str | None:
    """The numerically greatest version present in both lists, or None."""
    common = [v for v in set(ours) & set(theirs) if version_key(v) is not None]
    if not common:
        return None
    return max(common, key=lambda v: version_key(v) or ())


def format_namespace(version: str) -> str:
    return f"{FORMAT_BASE}/{version}"


def version_of_format(format_uri: str) -> str | None:
    """`http://…/EnterpriseData/1.21 ext…` → `1.21`; the bare base URI (settings-only message) → None."""
    token = format_uri.split()[0] if format_uri.split() else ""
    prefix = FORMAT_BASE + "/"
    if token.startswith(prefix) and len(token) > len(prefix):
        return token[len(prefix) :]
    return None

"""Supported format versions, namespaces and version negotiation (``enterprisedata.md`` §2, §8)."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UnsupportedVersion

FORMAT_BASE_URI = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData"
HEADER_NS = "http://www.1c.ru/SSL/Exchange/Message"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: the versions declared by 1С:Мобильная касса 3.33, lowest first
SUPPORTED_VERSIONS: tuple[str, ...] = ("1.7", "1.8", "1.10", "1.16", "1.17", "1.19", "1.20", "1.21")


def namespace(version: str) -> str:
    return f"{FORMAT_BASE_URI}/{version}"


def version_of_namespace(uri: str) -> str:
    """``http://…/EnterpriseData/1.21`` -> ``1.21``; raises :class:`UnsupportedVersion` for anything else."""
    prefix = FORMAT_BASE_URI + "/"
    if not uri.startswith(prefix):
        raise UnsupportedVersion(uri)
    version = uri[len(prefix) :]
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(version)
    return version


def version_key(version: str) -> tuple[int, ...] | None:
    """Numeric sort key (``1.10`` > ``1.8``), or None for non-numeric versions such as ``1.8.Cashbox``."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def negotiate_version(ours: Iterable[str], theirs: Iterable[str]) -> str | None:
    """The numerically greatest version in both lists (non-numeric versions never win the max), or None."""
    common = {v.strip() for v in ours} & {v.strip() for v in theirs}
    numeric = [v for v in common if version_key(v) is not None]
    if not numeric:
        return None
    return max(numeric, key=lambda v: version_key(v) or ())


def at_least(version: str, minimum: str) -> bool:
    return (version_key(version) or ()) >= (version_key(minimum) or ())

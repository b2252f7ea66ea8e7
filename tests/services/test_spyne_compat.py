"""spyne 2.14.0 imports on every supported Python through kassa_server.services.spyne_compat (issue 13).

Each check runs in a fresh interpreter: an import fix is about the first import of spyne in a process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _python(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_the_services_import_without_an_import_warning() -> None:
    """On 3.12+ spyne failed to import at all; on 3.11 it warned (``_SixMetaPathImporter.find_spec() not found``)."""
    result = _python("import kassa_server.services.application, kassa_server.app", "-W", "error::ImportWarning")
    assert result.returncode == 0, result.stderr


def test_six_moves_resolve_through_the_finder_only() -> None:
    result = _python(
        """
        import sys
        import kassa_server.services
        from kassa_server.services import spyne_compat
        import spyne
        from spyne.util.six.moves.urllib.parse import quote
        from spyne.util.six.moves import http_client, collections_abc
        import http.client, collections.abc, urllib.parse
        assert quote is urllib.parse.quote and http_client is http.client
        assert collections_abc.MutableSet is collections.abc.MutableSet
        spyne_compat.install()
        finders = [type(f).__name__ for f in sys.meta_path]
        assert finders.count("SixMovesFinder") == 1 and finders[0] == "SixMovesFinder", finders
        assert "_SixMetaPathImporter" not in finders, finders
        print("ok")
        """
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_other_imports_are_left_alone() -> None:
    result = _python(
        """
        import kassa_server.services, spyne
        try:
            import spyne.util.six.moves.no_such_module
        except ImportError:
            pass
        else:
            raise SystemExit("a missing six.moves name imported")
        try:
            import thread
        except ImportError:
            print("ok")
        """
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.11 still falls back to find_module")
def test_without_the_fix_spyne_does_not_import() -> None:
    """The reason for the module: if spyne ever imports cleanly without it, spyne_compat can go."""
    result = _python("import spyne")
    assert result.returncode != 0 and "spyne.util.six.moves" in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "text/xml; charset=utf-8",
        'multipart/related; type="application/xop+xml"; boundary="uuid:1"; start="<root>"',
        'application/soap+xml;charset=UTF-8;action="urn:a;b"',
        "Text/XML",
        'text/xml; Charset="a\\"b"',
        "a; b; c=",
    ],
)
def test_parse_header_does_what_cgi_did(value: str) -> None:
    """services/protocol.py parses Content-Type without ``cgi`` (gone in 3.13); the answers of 3.11's ``cgi``."""
    from kassa_server.services.protocol import parse_header

    expected = {
        "text/xml; charset=utf-8": ("text/xml", {"charset": "utf-8"}),
        'multipart/related; type="application/xop+xml"; boundary="uuid:1"; start="<root>"': (
            "multipart/related",
            {"type": "application/xop+xml", "boundary": "uuid:1", "start": "<root>"},
        ),
        'application/soap+xml;charset=UTF-8;action="urn:a;b"': (
            "application/soap+xml",
            {"charset": "UTF-8", "action": "urn:a;b"},
        ),
        "Text/XML": ("Text/XML", {}),
        'text/xml; Charset="a\\"b"': ("text/xml", {"charset": 'a"b'}),
        "a; b; c=": ("a", {"c": ""}),
    }
    assert parse_header(value) == expected[value]

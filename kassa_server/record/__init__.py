"""Record and replay: a recording proxy in front of a real 1C server, a replay server for its cassettes, and the
cassette format they and ``kassa-server journal export`` share (``cassette.py``)."""

"""kassa-server: a stand-in for the 1С:Касса back office that 1С:Мобильная касса synchronises with."""

__version__ = "0.1.0"

"""The SOAP services, hosted by spyne 2.14.0.

Every module of kassa-server that imports spyne lives in this package, so the compatibility fix for Python 3.12+
(``spyne_compat``) is installed here, before the first ``import spyne``.
"""

from kassa_server.services import spyne_compat

spyne_compat.install()

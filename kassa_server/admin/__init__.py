"""The back office's use cases: one layer of acts that every face calls (the CLI, the web back office, the control API).

One module per domain: ``infobases`` (and users), ``organizations`` (and stores), ``catalog`` (products, groups, units,
barcodes, price types, prices), ``orders``, ``devices``, ``reports``; ``goods_csv`` and ``demo`` are built on them.
Functions take ``(session, infobase, ...)``, flush but never commit, never print and never see argparse or starlette;
input comes as typed dataclasses (``ProductInput``, ``DeviceInput``, ...). Errors are the tree of ``admin.errors``.
A face runs each act in ``admin.transaction.transaction(sessions)``: committed on success, rolled back on error.
"""

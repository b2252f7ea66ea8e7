"""The control API for tests and CI: JSON under ``/api/v1``, its OpenAPI document generated from these routes.

A face like the CLI and the back office: it translates JSON to calls of the use cases in ``kassa_server.admin`` and
holds no business rules of its own.
"""

"""The back office for people at ``/<base>/``: starlette pages, Jinja2 templates, htmx; it calls the use cases in
``kassa_server.admin`` and holds no business rules of its own."""

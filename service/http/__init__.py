"""The HTTP side: the app factory (``app``), the API blueprints (``api/``), marshmallow schemas (``schemas``),
the request gate and security headers (``security``), CSRF for the pages (``csrf``), the request's database
and caller (``context``), problem details (``errors``).

Imports ``service.base``, ``service.access``, ``service.cases`` and ``service.web``; only the app factory
wires ``service.store`` and ``service.scheduler`` (and ``context`` holds the unit of work of a request).
"""

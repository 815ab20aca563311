"""The service: the Flask application around the engine layer (``workflows``).

Where a change goes:

- ``base/``       settings, problem types, value types (Quarter), CSV text; imports only ``workflows``.
- ``store/``      the database: engine setup, models, the unit of work, the write of one step
                  (``persist``), schema migrations; imports ``base`` and ``workflows``.
- ``access/``     who may do what: users and tokens (``auth``), the permission table (``permissions``);
                  imports ``base`` and ``store``.
- ``cases/``      the use cases the API, the pages, the CLI and the tests share: definitions, instances
                  and tasks, SLAs and their escalation, the record (history, replay), retention,
                  verification, export, the read side (``queries``) and ``reports/``; imports ``base``,
                  ``store``, ``access`` and ``workflows``.
- ``scheduler/``  the deadline enforcer (APScheduler); imports ``cases`` and below.
- ``http/``       the app factory, the API blueprints (``api/``), schemas, request security, problem
                  details; calls ``cases`` (the app factory alone wires ``store`` and ``scheduler``).
- ``web/``        the pages (templates, static); calls ``cases`` like the API, never ``store``.
- ``cli/``        the command line, one module per command group; may import anything.
- ``demo/``       demo data, loaded through the use cases.

The rules are enforced by ``tests/architecture`` (no import circles, no layer breaks).
"""

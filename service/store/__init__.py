"""The database: the engine and sessions (``db``), the models (``models``, ``audit_models``), the unit of work
with retry on lost races (``uow``), the write of one step (``persist``), the schema migrations runner
(``migrate``). Imports ``service.base`` and ``workflows``; only ``cases``, ``access``, ``scheduler`` and the
entry points' wiring import it."""

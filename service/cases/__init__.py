"""The use cases: what the API, the pages, the CLI and the tests ask the service to do.

``definitions`` (deploy, versions), ``instances`` (start, complete, claim, message, cancel, fire a deadline),
``slas`` and ``escalation`` (the breach rule), ``queries`` (the read side: lists and views), ``record``
(history, replay and diagram at any event, auditors' reads recorded), ``retention``, ``verification``,
``export``, ``reports/``. Each runs inside the caller's transaction (``store.uow.Database.run``) and checks
its own rules (role, visibility), whoever calls it. Imports ``service.base``, ``service.store``,
``service.access`` and ``workflows``; never Flask.
"""

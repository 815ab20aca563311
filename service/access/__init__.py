"""Who may do what: users, passwords and tokens (``auth``), the one permission table and the visibility rules
(``permissions``). Imports ``service.base`` and ``service.store``."""

"""The restricted language of diagrams: gateway conditions, timers, DMN entries and script tasks.

SpiffWorkflow's default script environment runs plain ``eval``/``exec``; this package replaces it.
One idea a module, each importing only those above it in this list:

- ``limits``: the size and step limits of one evaluation, its step ``Budget`` (``metered``), and
  ``ExpressionError``/``LimitExceeded``;
- ``guards``: the guarded operators, f-strings and attribute access the rewritten code calls, and the
  tables of the attributes it may reach;
- ``functions``: the whitelisted functions a diagram may call (``DEFAULT_FUNCTIONS``, the ``safe_*``
  stand-ins for built-ins, the date functions);
- ``checker``: parse, whitelist check, rewriting into guarded calls, compile cache
  (``check_expression``, ``check_script``, ``ExpressionRejected``);
- ``environment``: the run of checked code in SpiffWorkflow (``RestrictedEnvironment``,
  ``RestrictedScriptEngine``, ``make_script_engine``).

It may import only the standard library, SpiffWorkflow and ``workflows.calendar``/``workflows.clock``.
Callers import the public names from here: ``from workflows.expressions import make_script_engine``.
"""

from workflows.expressions.checker import ExpressionRejected, check_expression, check_script
from workflows.expressions.environment import (
    RestrictedEnvironment,
    RestrictedScriptEngine,
    make_script_engine,
)
from workflows.expressions.functions import DEFAULT_FUNCTIONS
from workflows.expressions.limits import ExpressionError, LimitExceeded

__all__ = [
    "DEFAULT_FUNCTIONS",
    "ExpressionError",
    "ExpressionRejected",
    "LimitExceeded",
    "RestrictedEnvironment",
    "RestrictedScriptEngine",
    "check_expression",
    "check_script",
    "make_script_engine",
]

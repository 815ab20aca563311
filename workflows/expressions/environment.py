"""The run of checked code: a SpiffWorkflow script environment and engine for the restricted language.

The code (compiled by ``checker``) runs with empty ``__builtins__``; its
globals are the whitelisted functions, the task data (which wins over a
function of the same name) and the guarded helpers, each evaluation with its
own step budget.  What a script writes back becomes task data, so it must be a
JSON value within the limits.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.expressions.checker import ExpressionRejected, check_expression, compiled_code
from workflows.expressions.functions import DEFAULT_FUNCTIONS
from workflows.expressions.guards import HELPERS
from workflows.expressions.limits import ExpressionError, check_value, metered

_RESERVED = frozenset({*HELPERS, "__builtins__"})


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs only the restricted language."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        context_functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        for name in [*(functions or {}), *(context_functions or {})]:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"function name {name!r} must be an identifier not starting with '_'")
        super().__init__({**DEFAULT_FUNCTIONS, **(functions or {})})
        self.context_functions: dict[str, Callable[..., Any]] = dict(context_functions or {})

    def _base(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        base = dict(self.globals)
        base.update({name: functools.partial(f, context) for name, f in self.context_functions.items()})
        base.update(external_context or {})
        return base

    @staticmethod
    def _namespace(base: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        namespace = {**base, **data, **HELPERS}
        namespace["__builtins__"] = {}
        return namespace

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """The value of an expression; a date or date-time result is returned as its ISO string
        (timers need one, and DMN outputs become task data, which holds JSON values)."""
        code = compiled_code(expression, "eval")
        namespace = self._namespace(self._base(context, external_context), context)
        with metered():
            result = eval(code, namespace)  # checked and rewritten code, empty builtins
        check_value(result, "the result")
        return result.isoformat() if isinstance(result, (datetime, date)) else result

    def execute(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Run a script task; on success its new and changed variables are written back to ``context``.

        The script works on a copy of the data, so a failing script changes nothing.  Values
        written back must be JSON values (dates become ISO strings, tuples lists).
        """
        code = compiled_code(script, "exec")
        base = self._base(context, external_context)
        work = copy.deepcopy(context)
        namespace = self._namespace(base, work)
        with metered():
            exec(code, namespace)  # checked and rewritten code, empty builtins
        updates: dict[str, Any] = {}
        for name, value in namespace.items():
            if name in _RESERVED:
                continue
            if name in context:
                old = context[name]
                if type(old) is type(value) and old == value:
                    continue
            elif name in base and base[name] is value:
                continue
            updates[name] = to_json_value(value, name)
        removed = [name for name in context if name not in namespace]
        context.update(updates)
        for name in removed:
            del context[name]
        return True


class RestrictedScriptEngine(PythonScriptEngine):
    """``PythonScriptEngine`` on a ``RestrictedEnvironment``; ``validate`` checks the restrictions too."""

    def validate(self, expression: str) -> None:
        """Raise ``SyntaxError`` if ``expression`` does not parse (the DMN engine relies on
        it), ``ExpressionRejected`` if it parses but breaks the rules."""
        text = expression.strip() if isinstance(expression, str) else expression
        ast.parse(text, mode="eval")
        problems = check_expression(text)
        if problems:
            raise ExpressionRejected(problems)


def make_script_engine(
    functions: Mapping[str, Callable[..., Any]] | None = None,
    context_functions: Mapping[str, Callable[..., Any]] | None = None,
) -> RestrictedScriptEngine:
    """A script engine for ``BpmnWorkflow`` that runs the restricted language."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment(functions, context_functions))


def to_json_value(value: Any, name: str) -> Any:
    """``value`` as task data (JSON): dates become ISO strings, tuples lists; anything else is refused."""
    check_value(value, f"variable '{name}'")
    return _to_json(value, name)


def _to_json(value: Any, name: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_to_json(item, name) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ExpressionError(f"variable '{name}' is a dict with keys that are not strings")
        return {key: _to_json(item, name) for key, item in value.items()}
    raise ExpressionError(
        f"variable '{name}' holds a {type(value).__name__}, which is not a JSON value "
        "(use a string, number, boolean, None, list or dict)"
    )

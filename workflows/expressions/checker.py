"""The restricted expression language of gateway conditions, timers, DMN entries and scripts.

SpiffWorkflow's default environment runs plain ``eval``/``exec``; a deployed
diagram must instead never be a way to run arbitrary code or to exhaust the
machine.  Every source string goes through one pipeline, the same at deploy
(``check_expression``/``check_script``) and at run time (``RestrictedEnvironment``):

1. parse it (``eval`` mode for expressions, ``exec`` mode for script tasks);
2. check every AST node against a whitelist: no imports, functions, classes,
   lambdas, ``while``, generators, ``yield``/``await``, ``try``/``with``/``raise``,
   ``global``, ``*``/``**`` unpacking or ``:=``; no name or attribute starting
   with ``_``; no introspective built-ins (``eval``, ``getattr``, ``type``...);
   attributes only from a short list of methods of strings, lists, dicts and
   dates (``.format`` is not one: format strings reach attributes); in
   expressions, no method that changes a value (``.append``, ``.update``...);
   constant arithmetic that breaks a size limit (``10**10**10``) is refused here;
3. rewrite what could exhaust the machine into guarded helpers
   (``workflows.sandbox_functions``): ``+ - * ** << % | & ^``, attribute
   access, ``for`` loops and comprehensions, comparisons of computed values,
   ``in``, f-strings; tuple displays build lists (the language has JSON values
   only, and hashing a deeply nested tuple crashes CPython);
4. compile, cached per source string.

The code runs with empty ``__builtins__``; its globals are the whitelisted
functions, the task data (which wins over a function of the same name) and the
guarded helpers, each evaluation with its own step budget.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import CodeType
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.expressions import guards as sf
from workflows.expressions.guards import DEFAULT_FUNCTIONS, ExpressionError, LimitExceeded

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

MAX_SOURCE_CHARS = 100_000
_CACHED_SOURCE_CHARS = 10_000


def _nodes(names: str) -> frozenset[type]:
    return frozenset(getattr(ast, name) for name in names.split())


FORBIDDEN_NAMES = sf.words(
    "eval exec compile open getattr setattr delattr hasattr globals locals vars type object super dir "
    "help input breakpoint memoryview importlib builtins exit quit classmethod staticmethod bytes bytearray"
)
_EXPRESSION_NODES = _nodes(
    "Expression BoolOp BinOp UnaryOp IfExp Dict Set List Tuple ListComp SetComp DictComp comprehension "
    "Compare Call keyword FormattedValue JoinedStr Constant Attribute Subscript Slice Name Load Store Del "
    "And Or Add Sub Mult Div FloorDiv Mod Pow LShift RShift BitOr BitXor BitAnd Invert Not UAdd USub "
    "Eq NotEq Lt LtE Gt GtE Is IsNot In NotIn"
)
_SCRIPT_NODES = _EXPRESSION_NODES | _nodes("Module Assign AugAssign For If Expr Pass Break Continue Delete")

_PARTS_OF_REFUSED = _nodes(
    "alias arguments arg ExceptHandler withitem match_case MatchValue MatchSingleton MatchSequence "
    "MatchMapping MatchClass MatchStar MatchAs MatchOr"
)
_REFUSED: dict[type, str] = {
    **dict.fromkeys(_nodes("Import ImportFrom"), "import is not allowed"),
    **dict.fromkeys(
        _nodes("FunctionDef AsyncFunctionDef Lambda"), "defining functions (def, lambda) is not allowed"
    ),
    ast.ClassDef: "defining classes is not allowed",
    ast.While: "while loops are not allowed (use a for loop over a list or range())",
    ast.GeneratorExp: "generator expressions are not allowed (use a list comprehension)",
    **dict.fromkeys(_nodes("Yield YieldFrom Await"), "yield and await are not allowed"),
    **dict.fromkeys(_nodes("Global Nonlocal"), "global and nonlocal are not allowed"),
    **dict.fromkeys(_nodes("Try TryStar With AsyncWith Raise Assert Return Match"), "{} is not allowed"),
    ast.Starred: "'*' unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.AnnAssign: "annotated assignments are not allowed",
    ast.MatMult: "'@' is not allowed",
}

_GUARDED_OPERATORS: dict[type, str] = {
    ast.Add: "_sf_add",
    ast.Mult: "_sf_mul",
    ast.Pow: "_sf_pow",
    ast.LShift: "_sf_lshift",
    ast.Mod: "_sf_mod",
    ast.Sub: "_sf_sub",
    ast.BitOr: "_sf_or",
    ast.BitAnd: "_sf_and",
    ast.BitXor: "_sf_xor",
}
_FOLDABLE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: sf.guarded_add,
    ast.Mult: sf.guarded_mul,
    ast.Pow: sf.guarded_pow,
    ast.LShift: sf.guarded_lshift,
}
_UNKNOWN: Any = object()
_FAILED: Any = object()
_RESERVED = frozenset({*sf.HELPERS, "__builtins__"})


class ExpressionRejected(ValueError):
    """Source that breaks the rules of the restricted language; ``problems`` says how."""

    problems: list[str]

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems = list(problems)
        super().__init__("expression rejected: " + "; ".join(self.problems))

    def __reduce__(self) -> tuple[type[ExpressionRejected], tuple[list[str]]]:
        return type(self), (self.problems,)


class _Compiled(NamedTuple):
    code: CodeType | None
    problems: tuple[str, ...]


# -- checking ------------------------------------------------------------------------------


def _static_value(node: ast.AST, memo: dict[int, Any]) -> Any:
    """The value of a constant subexpression (through the guards), ``_UNKNOWN`` otherwise."""
    key = id(node)
    if key in memo:
        return _UNKNOWN if memo[key] is _FAILED else memo[key]
    value = _UNKNOWN
    try:
        if isinstance(node, ast.Constant):
            value = node.value
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = _static_value(node.operand, memo)
            if isinstance(operand, (int, float)):
                value = -operand
        elif isinstance(node, (ast.List, ast.Tuple)) and isinstance(node.ctx, ast.Load):
            items = [_static_value(item, memo) for item in node.elts]
            if _UNKNOWN not in items:
                value = items
        elif isinstance(node, ast.BinOp) and type(node.op) in _FOLDABLE:
            left, right = _static_value(node.left, memo), _static_value(node.right, memo)
            if left is not _UNKNOWN and right is not _UNKNOWN:
                value = _FOLDABLE[type(node.op)](left, right)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            arguments = [_static_value(argument, memo) for argument in node.args]
            if not node.keywords and all(isinstance(argument, int) for argument in arguments):
                value = sf.safe_range(*arguments)
    except LimitExceeded:
        memo[key] = _FAILED
        raise
    except Exception:  # any other failure is the run time's to report
        value = _UNKNOWN
    memo[key] = value
    return value


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _is_literal(node: ast.AST) -> bool:
    """A constant, or a display (list, set, dict) of constants: comparing with it costs little."""
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_literal(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _is_literal(key) for key in node.keys) and all(
            _is_literal(value) for value in node.values
        )
    return isinstance(node, ast.Constant)


def _node_problems(node: ast.AST, mode: str) -> list[str]:
    allowed = _EXPRESSION_NODES if mode == "eval" else _SCRIPT_NODES
    if type(node) in _PARTS_OF_REFUSED:
        return []  # the statement they belong to is refused already
    if type(node) not in allowed:
        return [_REFUSED.get(type(node), "{} is not allowed").format(type(node).__name__.lower())]
    problems = []
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            problems.append(f"names starting with '_' are not allowed ({node.id})")
        elif node.id in FORBIDDEN_NAMES:
            problems.append(f"'{node.id}' is not allowed")
        elif not isinstance(node.ctx, ast.Load) and node.id in DEFAULT_FUNCTIONS:
            problems.append(f"'{node.id}' is a built-in function and cannot be assigned or deleted")
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            problems.append(f"attribute names starting with '_' are not allowed ({node.attr})")
        elif node.attr in ("format", "format_map"):
            problems.append(
                f"'.{node.attr}' is not allowed (format strings can reach attributes; use an f-string)"
            )
        elif node.attr not in sf.SAFE_ATTRIBUTES:
            problems.append(f"attribute '.{node.attr}' is not allowed")
        elif mode == "eval" and node.attr in sf.MUTATING_METHODS:
            problems.append(f"'.{node.attr}' changes a value and is only allowed in script tasks")
        if not isinstance(node.ctx, ast.Load):
            problems.append("assigning to or deleting attributes is not allowed")
    elif isinstance(node, ast.keyword):
        if node.arg is None:
            problems.append("'**' unpacking is not allowed")
        elif node.arg.startswith("_"):
            problems.append(f"names starting with '_' are not allowed ({node.arg})")
    elif (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.slice, ast.Slice)
    ):
        problems.append("assigning to a slice is not allowed")
    elif isinstance(node, ast.Dict) and None in node.keys:
        problems.append("'**' unpacking is not allowed")
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool, type(None))):
        problems.append(f"{type(node.value).__name__} constants are not allowed")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_text(node.left):
        problems.append("'%' formatting of strings is not allowed; use an f-string")
    elif isinstance(node, ast.comprehension) and node.is_async:
        problems.append("async comprehensions are not allowed")
    return problems


def _check_tree(tree: ast.AST, mode: str) -> list[str]:
    problems: list[str] = []
    memo: dict[int, Any] = {}
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    with sf.metered():
        while stack:
            node, line = stack.pop()
            line = getattr(node, "lineno", line)
            found = _node_problems(node, mode)
            if isinstance(node, (ast.BinOp, ast.Call)):
                try:
                    _static_value(node, memo)
                except LimitExceeded as error:
                    found.append(str(error))
                except RecursionError:
                    found.append("the expression is nested too deeply")
            problems.extend(f"line {line}: {problem}" for problem in found)
            stack.extend((child, line) for child in reversed(list(ast.iter_child_nodes(node))))
    return list(dict.fromkeys(problems))


# -- rewriting -----------------------------------------------------------------------------


def _call(helper: str, arguments: list[ast.expr], like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=arguments, keywords=[])
    return ast.copy_location(call, like) if hasattr(like, "lineno") else call


class _Guard(ast.NodeTransformer):
    """Rewrites checked code so that everything costly goes through ``sandbox_functions``."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPERATORS.get(type(node.op))
        return node if helper is None else _call(helper, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPERATORS.get(type(node.op))
        if helper is None:
            return node
        current = copy.deepcopy(node.target)
        current.ctx = ast.Load()  # type: ignore[union-attr]
        assign = ast.Assign(targets=[node.target], value=_call(helper, [current, node.value], node))
        return ast.copy_location(assign, node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return _call("_sf_attr", [node.value, ast.Constant(node.attr)], node)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_sf_iter", [node.iter], node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_sf_iter", [node.iter], node.iter)
        return node

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        """Tuple displays build lists: no tuples, so no deeply nested tuple can crash ``hash``."""
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        return ast.copy_location(ast.List(elts=node.elts, ctx=ast.Load()), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """Charge comparisons whose cost the values decide (not those against literals)."""
        self.generic_visit(node)
        operands: list[ast.expr] = [node.left, *node.comparators]
        helpers: dict[int, str] = {}
        for index, op in enumerate(node.ops):
            left, right = operands[index], operands[index + 1]
            if isinstance(op, (ast.In, ast.NotIn)):
                if not _is_literal(right):
                    helpers[index + 1] = "_sf_in"
            elif not (_is_literal(left) or _is_literal(right)):
                helpers.setdefault(index, "_sf_cmp")
                helpers.setdefault(index + 1, "_sf_cmp")
        operands = [
            _call(helpers[index], [operand], operand) if index in helpers else operand
            for index, operand in enumerate(operands)
        ]
        node.left, node.comparators = operands[0], operands[1:]
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                spec = self.visit(value.format_spec) if value.format_spec is not None else ast.Constant(None)
                conversion = ast.Constant(value.conversion)
                parts.append(ast.Tuple(elts=[self.visit(value.value), conversion, spec], ctx=ast.Load()))
            else:
                parts.append(value)
        return _call("_sf_fstring", [ast.Tuple(elts=parts, ctx=ast.Load())], node)


def _build(source: str, mode: str) -> _Compiled:
    if len(source) > MAX_SOURCE_CHARS:
        return _Compiled(
            None, (f"the source is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}",)
        )
    try:
        tree = ast.parse(source, filename="<string>", mode=mode)
    except SyntaxError as error:
        return _Compiled(None, (f"line {error.lineno or 1}: syntax error: {error.msg}",))
    except (ValueError, RecursionError, MemoryError) as error:
        return _Compiled(None, (f"line 1: the source cannot be parsed ({type(error).__name__}: {error})",))
    try:
        problems = _check_tree(tree, mode)
        if problems:
            return _Compiled(None, tuple(problems))
        tree = ast.fix_missing_locations(_Guard().visit(tree))
        return _Compiled(compile(tree, "<string>", mode), ())
    except SyntaxError as error:
        return _Compiled(None, (f"line {error.lineno or 1}: syntax error: {error.msg}",))
    except (RecursionError, MemoryError):
        return _Compiled(None, ("line 1: the source is nested too deeply",))


_build_cached = functools.lru_cache(maxsize=2048)(_build)


def _compiled(source: Any, mode: str) -> _Compiled:
    if not isinstance(source, str):
        return _Compiled(None, (f"line 1: expected source text, not {type(source).__name__}",))
    if mode == "eval":
        source = source.strip()
    return _build_cached(source, mode) if len(source) <= _CACHED_SOURCE_CHARS else _build(source, mode)


def check_expression(source: str) -> list[str]:
    """The problems of an expression (gateway condition, timer, DMN entry); ``[]`` if it is fine."""
    return list(_compiled(source, "eval").problems)


def check_script(source: str) -> list[str]:
    """The problems of a script task's script; ``[]`` if it is fine."""
    return list(_compiled(source, "exec").problems)


def _code(source: Any, mode: str) -> CodeType:
    compiled = _compiled(source, mode)
    if compiled.code is None:
        raise ExpressionRejected(compiled.problems)
    return compiled.code


# -- running -------------------------------------------------------------------------------


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
        namespace = {**base, **data, **sf.HELPERS}
        namespace["__builtins__"] = {}
        return namespace

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """The value of an expression; a date or date-time result is returned as its ISO string
        (timers need one, and DMN outputs become task data, which holds JSON values)."""
        code = _code(expression, "eval")
        namespace = self._namespace(self._base(context, external_context), context)
        with sf.metered():
            result = eval(code, namespace)  # checked and rewritten code, empty builtins
        sf.check_value(result, "the result")
        return result.isoformat() if isinstance(result, (datetime, date)) else result

    def execute(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Run a script task; on success its new and changed variables are written back to ``context``.

        The script works on a copy of the data, so a failing script changes nothing.  Values
        written back must be JSON values (dates become ISO strings, tuples lists).
        """
        code = _code(script, "exec")
        base = self._base(context, external_context)
        work = copy.deepcopy(context)
        namespace = self._namespace(base, work)
        with sf.metered():
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
            updates[name] = sf.to_json_value(value, name)
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

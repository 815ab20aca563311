"""The check of the restricted language: parse, whitelist, rewrite into guarded calls, compile (cached).

SpiffWorkflow's default environment runs plain ``eval``/``exec``; a deployed
diagram must instead never be a way to run arbitrary code or to exhaust the
machine.  Every source string goes through one pipeline, the same at deploy
(``check_expression``/``check_script``) and at run time (``environment``, which
runs the code this module compiles):

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
   (``workflows.expressions.guards``): ``+ - * ** << % | & ^``, attribute
   access, ``for`` loops and comprehensions, comparisons of computed values,
   ``in``, f-strings; tuple displays build lists (the language has JSON values
   only, and hashing a deeply nested tuple crashes CPython);
4. compile, cached per source string.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable
from types import CodeType
from typing import Any, NamedTuple

from workflows.expressions.functions import DEFAULT_FUNCTIONS, safe_range
from workflows.expressions.guards import (
    MUTATING_METHODS,
    SAFE_ATTRIBUTES,
    guarded_add,
    guarded_lshift,
    guarded_mul,
    guarded_pow,
    words,
)
from workflows.expressions.limits import LimitExceeded, metered

__all__ = ["ExpressionRejected", "check_expression", "check_script", "compiled_code"]


MAX_SOURCE_CHARS = 100_000
_CACHED_SOURCE_CHARS = 10_000


def _nodes(names: str) -> frozenset[type]:
    return frozenset(getattr(ast, name) for name in names.split())


FORBIDDEN_NAMES = words(
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
    ast.Add: guarded_add,
    ast.Mult: guarded_mul,
    ast.Pow: guarded_pow,
    ast.LShift: guarded_lshift,
}
_UNKNOWN: Any = object()
_FAILED: Any = object()


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
                value = safe_range(*arguments)
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
        elif node.attr not in SAFE_ATTRIBUTES:
            problems.append(f"attribute '.{node.attr}' is not allowed")
        elif mode == "eval" and node.attr in MUTATING_METHODS:
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
    with metered():
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
    """Rewrites checked code so that everything costly goes through ``guards``."""

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


def compiled_code(source: Any, mode: str) -> CodeType:
    """The checked, rewritten and compiled code of ``source``; ``ExpressionRejected`` if it breaks the rules."""
    compiled = _compiled(source, mode)
    if compiled.code is None:
        raise ExpressionRejected(compiled.problems)
    return compiled.code

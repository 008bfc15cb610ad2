"""Expressions as text: ``"z1 = sin(x); z2 = x**3; y = z1*z2"`` into a graph of Values.

The text is parsed with Python's ``ast`` and checked against an allow-list: numbers, names,
``+ - * / **``, unary minus and plus, calls of the engine's functions (``exp log tanh sigmoid
relu step sin cos sqrt``) and assignments ``name = expression``, separated by ``;`` or new
lines. The last statement is the output. Nothing is ever passed to ``eval`` or ``exec``: the
checked tree is walked here, node by node, and every other construct is refused with an
``ExpressionError`` saying what and where. Names in messages beyond ASCII come with their code
points (``pictures.names.quoted_name``): a Cyrillic ``х`` given for a Latin ``x`` shows itself.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from autograd.core.functions import FUNCTIONS
from autograd.core.value import Constant, Value
from autograd.pictures.names import quoted_name

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "parse_expression"]

#: Longest text accepted, in characters.
MAX_LENGTH = 5000
#: Deepest nesting accepted: ``a + b + c`` is 3 deep, ``tanh(x * w)`` is 3 deep.
MAX_DEPTH = 100

_ALLOWED = "numbers, names, + - * / **, unary minus, name = ... assignments and the functions "
_ALLOWED += ", ".join(FUNCTIONS)

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Slice: "slices",
    ast.Lambda: "'lambda'",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Import: "'import'",
    ast.ImportFrom: "'import'",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' and 'or'",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "the := operator",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "* unpacking",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.AugAssign: "augmented assignment (+= and friends)",
    ast.AnnAssign: "annotations",
    ast.FunctionDef: "function definitions",
    ast.AsyncFunctionDef: "function definitions",
    ast.ClassDef: "class definitions",
    ast.Return: "'return'",
    ast.Delete: "'del'",
    ast.For: "loops",
    ast.AsyncFor: "loops",
    ast.While: "loops",
    ast.If: "if statements",
    ast.With: "with statements",
    ast.AsyncWith: "with statements",
    ast.Try: "try statements",
    ast.Raise: "'raise'",
    ast.Assert: "'assert'",
    ast.Global: "'global'",
    ast.Nonlocal: "'nonlocal'",
    ast.Pass: "'pass'",
    ast.Break: "'break'",
    ast.Continue: "'continue'",
    ast.FloorDiv: "the // operator",
    ast.Mod: "the % operator",
    ast.MatMult: "the @ operator",
    ast.LShift: "the << operator",
    ast.RShift: "the >> operator",
    ast.BitOr: "the | operator",
    ast.BitXor: "the ^ operator",
    ast.BitAnd: "the & operator",
    ast.Not: "'not'",
    ast.Invert: "the ~ operator",
}


class ExpressionError(ValueError):
    """An expression was refused. ``str()`` is one line: where, what, and what is allowed."""


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to be evaluated on Values.

    Attributes:
        text: the text it was parsed from.
        inputs: the names it needs values for, in order of first use.
        outputs: the names it assigns, in order (the last statement's, if any, is the output's).
    """

    text: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    _statements: tuple[tuple[str | None, ast.expr], ...] = field(repr=False)
    _first_use: Mapping[str, tuple[int, int]] = field(repr=False)

    def evaluate(self, variables: Mapping[str, float | Value]) -> Value:
        """Build the graph: each input is the Value given (a number becomes a leaf Value labelled
        with its name), each assigned result is labelled with its name; returns the output.

        Raises ``ExpressionError`` if an input has no value or a value is given that the
        expression does not use.
        """
        env: dict[str, Value] = {}
        unused = [quoted_name(name) for name in variables if name not in self.inputs]
        for name in self.inputs:
            if name not in variables:
                line, column = self._first_use[name]
                hint = f" (values are given for {', '.join(unused)})" if unused else ""
                raise ExpressionError(f"line {line}, column {column}: no value given for "
                                      f"{quoted_name(name)}; give it one ({name}=NUMBER)"
                                      f"{hint}")
        for name, value in variables.items():
            if name not in self.inputs:
                hint = (f" (the expression assigns {name!r} itself)" if name in self.outputs
                        else "")
                raise ExpressionError(f"a value is given for {quoted_name(name)}, which the "
                                      f"expression does not use as an input{hint}")
            if isinstance(value, Value):
                env[name] = value
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                env[name] = Value(float(value), label=name)
            else:
                raise ExpressionError(f"the value for {quoted_name(name)} must be a number or a "
                                      f"Value, got {type(value).__name__}")
        result: Value | None = None
        for target, node in self._statements:
            result = _evaluate(node, env)
            if target is not None:
                if not result.label:
                    result.label = target
                env[target] = result
        assert result is not None  # parse_expression refuses an empty text
        return result


def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; raise ``ExpressionError`` (one line, with line and column)
    for anything outside the allow-list, a syntax error, or a text too long or too deep."""
    if not isinstance(text, str):
        raise TypeError(f"an expression is a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long; the limit is "
                              f"{MAX_LENGTH:,}: draw a smaller piece")
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as error:
        raise ExpressionError(f"line {error.lineno or 1}, column {error.offset or 1}: "
                              f"syntax error: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"the expression is nested too deeply to parse; the limit is "
                              f"{MAX_DEPTH} levels: split it into statements "
                              "(z1 = ...; z2 = ...)") from None
    except ValueError as error:  # e.g. a NUL character, in some Python versions
        raise ExpressionError(f"the expression cannot be parsed: {error}") from None
    if not tree.body:
        raise ExpressionError("the expression is empty: write one, e.g. 'tanh(x*w + b)'")
    _check_depth(tree, text)
    statements: list[tuple[str | None, ast.expr]] = []
    inputs: dict[str, tuple[int, int]] = {}
    assigned: list[str] = []
    last = len(tree.body) - 1
    for i, statement in enumerate(tree.body):
        if isinstance(statement, ast.Assign):
            target = _target(statement, text)
            _check_expression(statement.value, text, inputs, assigned)
            if target in inputs or target in assigned:
                what = "used as an input" if target in inputs else "assigned"
                raise _refusal(statement.targets[0], text,
                               f"{quoted_name(target)} is already {what}; give each result a "
                               "new name")
            assigned.append(target)
            statements.append((target, statement.value))
        elif isinstance(statement, ast.Expr):
            if i != last:
                raise _refusal(statement, text, "the value of this statement is not used; "
                               "assign it to a name (v = ...) or make it the last statement")
            _check_expression(statement.value, text, inputs, assigned)
            statements.append((None, statement.value))
        else:
            raise _refused(statement, text)
    return Expression(text, tuple(inputs), tuple(assigned), tuple(statements), inputs)


def _target(statement: ast.Assign, text: str) -> str:
    if len(statement.targets) != 1:
        raise _refusal(statement, text, "chained assignment (a = b = ...): one name per "
                       "assignment")
    target = statement.targets[0]
    if not isinstance(target, ast.Name):
        raise _refusal(target, text, "only a plain name can be assigned to")
    if target.id in FUNCTIONS:
        raise _refusal(target, text, f"{quoted_name(target.id)} is a function; choose another "
                       "name")
    return target.id


def _check_depth(tree: ast.Module, text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, walking the tree without recursion (the
    evaluation that follows does recurse, and may then rely on this limit)."""
    stack = [(node, 0) for node in tree.body]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refusal(node, text, f"the expression is nested more than {MAX_DEPTH} levels "
                           "deep; split it into statements (z1 = ...; z2 = ...)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                     if isinstance(child, (ast.expr, ast.stmt)))


def _check_expression(node: ast.expr, text: str, inputs: dict[str, tuple[int, int]],
                      assigned: list[str]) -> None:
    """Refuse anything outside the allow-list; record names used before any assignment."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _refused(node.op, text, node)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refused(node.op, text, node)
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            _check_call(node, text)
            stack.append(node.args[0])
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _refusal(node, text, f"{quoted_name(node.id)} is a function: call it, e.g. "
                               f"{node.id}(x)")
            if node.id not in assigned and node.id not in inputs:
                inputs[node.id] = (node.lineno, node.col_offset + 1)
        elif isinstance(node, ast.Constant):
            _check_number(node, text)
        else:
            raise _refused(node, text)


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Name):
        if type(node.func) in _REFUSED:  # x.f(), (lambda: 1)(): name the construct itself
            raise _refused(node.func, text)
        raise _refusal(node, text, "only the functions " + ", ".join(FUNCTIONS)
                       + " can be called, by name")
    name = node.func.id
    if name not in FUNCTIONS:
        raise _refusal(node, text, f"unknown function {quoted_name(name)}; the functions are "
                       + ", ".join(FUNCTIONS))
    if node.keywords:
        raise _refusal(node.keywords[0], text, "keyword arguments are not allowed")
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise _refused(next(a for a in node.args if isinstance(a, ast.Starred)), text)
    if len(node.args) != 1:
        raise _refusal(node, text, f"{name}() takes exactly 1 argument, got {len(node.args)}")


def _check_number(node: ast.Constant, text: str) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(
            type(value), repr(value))
        raise _refusal(node, text, f"only real numbers are allowed, not {kind}")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an int literal beyond the float range
        finite = False
    if not finite:
        raise _refusal(node, text, "this number is too large for a float (about 1.8e308 at "
                       "most)")


def _evaluate(node: ast.expr, env: dict[str, Value]) -> Value:
    """The Value of a checked expression node (recursion bounded by MAX_DEPTH)."""
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Constant):
        return Constant(float(node.value))
    if isinstance(node, ast.UnaryOp):
        literal = _literal(node)
        if literal is not None:  # "-3" is the number -3, not the negation of 3
            return Constant(float(literal))
        operand = _evaluate(node.operand, env)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](_evaluate(node.args[0], env))
    assert isinstance(node, ast.BinOp)
    left = _evaluate(node.left, env)
    if isinstance(node.op, ast.Pow):
        exponent = _literal(node.right)
        if exponent is not None:  # x**2 as micrograd writes it: the exponent is no node
            return left ** exponent
    right = _evaluate(node.right, env)
    op = _OPERATORS[type(node.op)]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    return left ** right


def _literal(node: ast.expr) -> int | float | None:
    """The number a literal (``3``, ``-3``, ``+2.5``) stands for, else None."""
    if isinstance(node, ast.Constant):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return None


def _refused(node: ast.AST, text: str, where: ast.AST | None = None) -> ExpressionError:
    what = _REFUSED.get(type(node), type(node).__name__)
    return _refusal(where or node, text, f"cannot use {what} here; an expression may use "
                    + _ALLOWED)


def _refusal(node: ast.AST, text: str, message: str) -> ExpressionError:
    line = getattr(node, "lineno", 1)
    column = getattr(node, "col_offset", 0) + 1
    snippet = ast.get_source_segment(text, node) if hasattr(node, "lineno") else None
    shown = ""
    if snippet:
        snippet = " ".join(snippet.split())
        shown = f" ({snippet[:30]}{'...' if len(snippet) > 30 else ''})"
    return ExpressionError(f"line {line}, column {column}{shown}: {message}")

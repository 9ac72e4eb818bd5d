"""Compile user-typed math expressions into vectorised numpy functions, safely.

An expression such as ``exp(-x^2/2) * (1 + sin(3*x)^2)`` is parsed with
``ast.parse(mode="eval")`` and checked node by node against an allowlist. Nothing the
user types ever reaches ``eval``, ``exec`` or a code object: the checked tree is turned
into a tree of closures that call numpy and scipy.special functions.

The language
------------
- Numbers (``2``, ``0.5``, ``1e-3``), the variables the caller names (usually ``x``, or
  ``x`` and ``y``) and the constants ``pi`` and ``e``.
- ``+ - * /``, unary ``-`` and ``+``, and powers written ``**`` or ``^``. The caret
  means power, not exclusive or: every ``^`` is replaced by ``**`` before parsing, so
  ``x^2^3`` is ``x^(2^3)`` and ``-x^2`` is ``-(x^2)``, as in Python.
- Comparisons ``< <= > >= == !=`` (also chained, ``0 < x < 1``) give 1.0 or 0.0, so
  ``(x > 0) * exp(-x)`` and ``where(x > 0, exp(-x), 0)`` both work.
- The functions in `FUNCTIONS`, called with positional arguments only.

``where`` evaluates both branches, so ``where(x > 0, log(x), 0)`` is fine but
``(x > 0) * log(x)`` is NaN for negative x. Values are computed with floating-point
warnings switched off; callers check the results with `check_finite`.

Limits
------
Input longer than `MAX_LENGTH` characters, more than `MAX_PARENTHESES` nested brackets,
a syntax tree deeper than `MAX_DEPTH`, a literal above `MAX_LITERAL` in magnitude and a
constant exponent above `MAX_EXPONENT` in magnitude are rejected at compile time. All
arithmetic is float64, so no input can start a slow big-integer computation.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.special

MAX_LENGTH = 500
MAX_PARENTHESES = 40
MAX_DEPTH = 100
MAX_LITERAL = 1e100
MAX_EXPONENT = 1000.0

CONSTANTS = {"pi": math.pi, "e": math.e}


def _where(condition, a, b):
    return np.where(np.not_equal(condition, 0), a, b)


# Function name -> (number of arguments, numpy implementation).
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "exp": (1, np.exp),
    "expm1": (1, np.expm1),
    "log": (1, np.log),
    "log1p": (1, np.log1p),
    "log2": (1, np.log2),
    "log10": (1, np.log10),
    "sqrt": (1, np.sqrt),
    "cbrt": (1, np.cbrt),
    "abs": (1, np.abs),
    "sign": (1, np.sign),
    "floor": (1, np.floor),
    "ceil": (1, np.ceil),
    "sin": (1, np.sin),
    "cos": (1, np.cos),
    "tan": (1, np.tan),
    "arcsin": (1, np.arcsin),
    "asin": (1, np.arcsin),
    "arccos": (1, np.arccos),
    "acos": (1, np.arccos),
    "arctan": (1, np.arctan),
    "atan": (1, np.arctan),
    "sinh": (1, np.sinh),
    "cosh": (1, np.cosh),
    "tanh": (1, np.tanh),
    "erf": (1, scipy.special.erf),
    "erfc": (1, scipy.special.erfc),
    "gamma": (1, scipy.special.gamma),
    "lgamma": (1, scipy.special.gammaln),
    "arctan2": (2, np.arctan2),
    "atan2": (2, np.arctan2),
    "min": (2, np.minimum),
    "max": (2, np.maximum),
    "where": (3, _where),
}

_BINARY_OPERATORS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}

_COMPARISONS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}

# Messages for syntax that parses as Python but is outside the language.
_REJECTED_NODES = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing with [] is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "'a if c else b' is not allowed; use where(c, a, b)",
    ast.NamedExpr: "assignment with ':=' is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.BoolOp: "'and' and 'or' are not allowed; multiply comparisons instead",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Slice: "slices are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}

HELP = (
    "Use numbers, {variables}, pi, e, + - * / and ** or ^ for powers, comparisons, "
    "and the functions " + ", ".join(sorted(FUNCTIONS)) + "."
)


class ExpressionError(ValueError):
    """An expression that is invalid or outside the allowed language.

    Attributes
    ----------
    column : int or None
        1-based column in the text where the problem is, when it is known.
    """

    def __init__(self, message: str, column: int | None = None):
        if column is not None:
            message = f"{message} (at column {column})"
        super().__init__(message)
        self.column = column


class EvaluationError(ExpressionError):
    """A value that is NaN, infinite or out of range at a specific point.

    Attributes
    ----------
    point : tuple of float
        Coordinates of the first offending point, one per variable.
    value : float
        The offending value.
    """

    def __init__(self, message: str, point: tuple[float, ...], value: float):
        super().__init__(message)
        self.point = point
        self.value = value


class CompiledExpression:
    """A checked expression, callable on numpy arrays.

    Call it with one array per variable, in the order of `variables`. The arrays are
    broadcast together and the result is a float64 array of the broadcast shape. No
    floating-point warnings are raised; check the result with `check_finite`.

    Attributes
    ----------
    text : str
        The expression as typed.
    variables : tuple of str
        Names of the arguments, in call order.
    used_variables : frozenset of str
        The variables that occur in the expression.
    """

    def __init__(
        self,
        text: str,
        variables: tuple[str, ...],
        function: Callable[[tuple], object],
        used_variables: frozenset[str],
    ):
        self.text = text
        self.variables = variables
        self.used_variables = used_variables
        self._function = function

    def __call__(self, *arrays) -> np.ndarray:
        if len(arrays) != len(self.variables):
            raise TypeError(
                f"expression in {', '.join(self.variables) or 'no variables'} takes "
                f"{len(self.variables)} arrays, got {len(arrays)}"
            )
        values = tuple(np.asarray(a, dtype=float) for a in arrays)
        shape = np.broadcast_shapes(*(v.shape for v in values)) if values else ()
        with np.errstate(all="ignore"):
            result = np.asarray(self._function(values), dtype=float)
        if result.shape != shape:
            result = np.broadcast_to(result, shape).copy()
        return result

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r}, variables={self.variables!r})"


def prepare_source(text: object) -> tuple[ast.Expression, tuple[str, list[int]]]:
    """Check the raw text, replace ``^`` by ``**`` and parse it.

    Returns the parsed tree and a source map: the parsed text, and for each of its
    characters the 0-based column in the typed text, for error messages.

    Raises
    ------
    ExpressionError
        If the text is not a string, is empty, too long, contains control characters,
        is nested too deeply or is not valid syntax.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the maximum is {MAX_LENGTH}"
        )
    if not text.strip():
        raise ExpressionError("expression is empty")
    for index, char in enumerate(text):
        if not char.isprintable():
            raise ExpressionError(
                f"expression contains the control character {char!r}; "
                "write it on one line",
                index + 1,
            )

    # Replace the caret and remember where each character came from.
    source_chars = []
    column_map = []
    for index, char in enumerate(text):
        if char == "^":
            source_chars.append("**")
            column_map.extend((index, index))
        else:
            source_chars.append(char)
            column_map.append(index)
    source = "".join(source_chars)
    column_map.append(len(text))

    depth = 0
    for index, char in enumerate(source):
        if char in "([{":
            depth += 1
            if depth > MAX_PARENTHESES:
                raise ExpressionError(
                    f"brackets are nested more than {MAX_PARENTHESES} deep",
                    column_map[index] + 1,
                )
        elif char in ")]}":
            depth -= 1

    try:
        # Inputs like "1else" make the parser warn as well as fail; keep it quiet.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        offset = error.offset or 1
        column = column_map[min(max(offset - 1, 0), len(column_map) - 1)] + 1
        raise ExpressionError(f"invalid syntax: {error.msg}", column) from None
    except (ValueError, MemoryError, RecursionError, OverflowError) as error:
        raise ExpressionError(f"invalid expression: {error}") from None
    _check_depth(tree, source, column_map)
    return tree, (source, column_map)


def node_column(node: ast.AST, source_map: tuple[str, list[int]] | None) -> int | None:
    """Return the 1-based column of a node in the typed text, or None."""
    offset = getattr(node, "col_offset", None)
    if offset is None or source_map is None:
        return None
    source, column_map = source_map

    # ``col_offset`` counts UTF-8 bytes, so convert it to characters first.
    chars = len(source.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    return column_map[min(chars, len(column_map) - 1)] + 1


def _check_depth(tree: ast.AST, source: str, column_map: list[int]) -> None:
    # Iterative, so that a deep tree cannot exhaust the Python stack here. Only
    # expression nodes count, not the contexts and operators that hang off them.
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (ast.expr, ast.Expression)):
            continue
        if depth > MAX_DEPTH:
            column = node_column(node, (source, column_map))
            raise ExpressionError(
                f"expression is nested more than {MAX_DEPTH} levels deep", column
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Compiler:
    """Turn a checked syntax tree into closures over numpy functions."""

    def __init__(self, variables: tuple[str, ...], source_map):
        self.variables = variables
        self.source_map = source_map
        self.used: set[str] = set()

    def error(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, node_column(node, self.source_map))

    def compile(self, node: ast.AST) -> tuple[Callable, float | None]:
        """Return a closure for the node, and its value when it is constant."""
        if isinstance(node, ast.Expression):
            return self.compile(node.body)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        for node_type, message in _REJECTED_NODES.items():
            if isinstance(node, node_type):
                raise self.error(message, node)
        raise self.error(f"{type(node).__name__} is not allowed", node)

    def _folded(self, value: float, node: ast.AST) -> tuple[Callable, float]:
        if not math.isfinite(value):
            raise self.error(
                f"constant part of the expression evaluates to {value}", node
            )
        return (lambda args: value), value

    def _constant(self, node: ast.Constant) -> tuple[Callable, float]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(
                type(value), f"{type(value).__name__} values"
            )
            raise self.error(f"{kind} are not allowed", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not abs(number) <= MAX_LITERAL:
            raise self.error(
                f"number is larger than {MAX_LITERAL:g} in magnitude", node
            )
        return self._folded(number, node)

    def _name(self, node: ast.Name) -> tuple[Callable, float | None]:
        name = node.id
        if name.startswith("_"):
            raise self.error(
                f"names starting with an underscore are not allowed ({name!r})", node
            )
        if name in self.variables:
            index = self.variables.index(name)
            self.used.add(name)
            return (lambda args: args[index]), None
        if name in CONSTANTS:
            return self._folded(CONSTANTS[name], node)
        if name in FUNCTIONS:
            raise self.error(f"{name} is a function; call it as {name}(...)", node)
        allowed = ", ".join(self.variables + tuple(CONSTANTS))
        raise self.error(
            f"unknown name {name!r}; the names allowed are {allowed}", node
        )

    def _unary(self, node: ast.UnaryOp) -> tuple[Callable, float | None]:
        operand, value = self.compile(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand, value
        if not isinstance(node.op, ast.USub):
            raise self.error("only unary '-' and '+' are allowed", node)
        if value is not None:
            return self._folded(-value, node)
        return (lambda args: np.negative(operand(args))), None

    def _binary(self, node: ast.BinOp) -> tuple[Callable, float | None]:
        function = _BINARY_OPERATORS.get(type(node.op))
        if function is None:
            symbol = {
                ast.BitXor: "^",
                ast.Mod: "%",
                ast.FloorDiv: "//",
                ast.MatMult: "@",
                ast.BitAnd: "&",
                ast.BitOr: "|",
                ast.LShift: "<<",
                ast.RShift: ">>",
            }.get(type(node.op), type(node.op).__name__)
            raise self.error(
                f"operator {symbol!r} is not allowed; use + - * / and ** or ^", node
            )
        left, left_value = self.compile(node.left)
        right, right_value = self.compile(node.right)

        # A constant exponent is checked before anything is computed with it.
        if isinstance(node.op, ast.Pow) and right_value is not None:
            if abs(right_value) > MAX_EXPONENT:
                raise self.error(
                    f"exponent {right_value:g} is larger than {MAX_EXPONENT:g} "
                    "in magnitude",
                    node.right,
                )
        if left_value is not None and right_value is not None:
            with np.errstate(all="ignore"):
                value = float(function(left_value, right_value))
            return self._folded(value, node)
        return (lambda args: function(left(args), right(args))), None

    def _compare(self, node: ast.Compare) -> tuple[Callable, None]:
        parts = [self.compile(node.left)[0]]
        functions = []
        for operator, comparator in zip(node.ops, node.comparators, strict=True):
            function = _COMPARISONS.get(type(operator))
            if function is None:
                raise self.error(
                    "only the comparisons < <= > >= == != are allowed", node
                )
            functions.append(function)
            parts.append(self.compile(comparator)[0])

        def compare(args):
            values = [part(args) for part in parts]
            result = functions[0](values[0], values[1])
            for i in range(1, len(functions)):
                result = np.logical_and(result, functions[i](values[i], values[i + 1]))
            return np.where(result, 1.0, 0.0)

        return compare, None

    def _call(self, node: ast.Call) -> tuple[Callable, float | None]:
        if not isinstance(node.func, ast.Name):
            raise self.error("only the named math functions can be called", node)
        name = node.func.id
        if name.startswith("_"):
            raise self.error(
                f"names starting with an underscore are not allowed ({name!r})", node
            )

        # Only allowlisted functions, with the right number of positional arguments.
        if name not in FUNCTIONS:
            raise self.error(
                f"unknown function {name!r}; the functions allowed are "
                + ", ".join(sorted(FUNCTIONS)),
                node,
            )
        if node.keywords:
            raise self.error(f"{name}() takes no keyword arguments", node)
        arity, function = FUNCTIONS[name]
        if len(node.args) != arity:
            raise self.error(
                f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, "
                f"got {len(node.args)}",
                node,
            )

        compiled = [self.compile(argument) for argument in node.args]
        closures = [closure for closure, _ in compiled]
        values = [value for _, value in compiled]
        if all(value is not None for value in values):
            with np.errstate(all="ignore"):
                value = float(function(*values))
            return self._folded(value, node)
        if arity == 1:
            (argument,) = closures
            return (lambda args: function(argument(args))), None
        return (lambda args: function(*(c(args) for c in closures))), None


def compile_node(
    node: ast.AST,
    variables: tuple[str, ...],
    source_map: tuple[str, list[int]] | None = None,
) -> tuple[Callable[[tuple], object], float | None, frozenset[str]]:
    """Compile one node of a tree made by `prepare_source`.

    Returns the closure (called with a tuple of arrays, one per variable), the value if
    the node is constant, and the set of variables used. Other parsers in this package
    use it to evaluate the numeric arguments of a target specification.
    """
    compiler = _Compiler(variables, source_map)
    closure, value = compiler.compile(node)
    return closure, value, frozenset(compiler.used)


def compile_expression(
    text: str, variables: Sequence[str] = ("x",)
) -> CompiledExpression:
    """Compile a typed expression into a vectorised function.

    Parameters
    ----------
    text : str
        The expression, for example ``"exp(-x^2/2)"``. ``^`` means power.
    variables : sequence of str
        Names of the variables, in the order the compiled function takes them.

    Returns
    -------
    CompiledExpression
        Callable with one numpy array per variable.

    Raises
    ------
    ExpressionError
        If the text is invalid or uses anything outside the allowed language. The
        message names the problem and the error's ``column`` gives its position.
    """
    variables = tuple(variables)
    for name in variables:
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"invalid variable name {name!r}")
        if name in CONSTANTS or name in FUNCTIONS:
            raise ValueError(f"variable name {name!r} is a constant or function name")
    tree, source_map = prepare_source(text)
    try:
        closure, _, used = compile_node(tree, variables, source_map)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None
    return CompiledExpression(text, variables, closure, used)


def format_point(point: Sequence[float], names: Sequence[str]) -> str:
    """Format a point as ``x = 1.5`` or ``(x, y) = (1.5, -2)`` for messages."""
    values = [f"{float(v):.6g}" for v in point]
    if len(values) == 1:
        return f"{names[0]} = {values[0]}"
    return f"({', '.join(names)}) = ({', '.join(values)})"


def check_finite(
    values: np.ndarray,
    points: np.ndarray,
    quantity: str,
    *,
    names: Sequence[str] = ("x",),
    nonnegative: bool = False,
) -> None:
    """Raise EvaluationError at the first point where a value is NaN or infinite.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Values computed at the points.
    points : ndarray, shape (n,) or (n, d)
        The points, in the same order.
    quantity : str
        Name of the values, for the message ("the density").
    names : sequence of str
        Names of the coordinates, for the message.
    nonnegative : bool
        Also reject negative values.
    """
    values = np.asarray(values, dtype=float).reshape(-1)
    bad = ~np.isfinite(values)
    if nonnegative:
        bad |= values < 0
    if not bad.any():
        return
    index = int(np.argmax(bad))
    points = np.asarray(points, dtype=float).reshape(len(values), -1)
    point = tuple(float(v) for v in points[index])
    value = float(values[index])
    if math.isnan(value):
        problem = "is NaN (undefined)"
    elif math.isinf(value):
        problem = f"is {value}"
    else:
        problem = f"is negative ({value:.6g})"
    requirement = "finite and non-negative" if nonnegative else "finite"
    raise EvaluationError(
        f"{quantity} {problem} at {format_point(point, names)}; change the expression "
        f"or the domain so that it is {requirement} there",
        point,
        value,
    )

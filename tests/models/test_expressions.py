"""Tests of the allowlist expression compiler: values, errors and hostile input."""

import math
import os
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.expressions import (
    MAX_LENGTH,
    EvaluationError,
    ExpressionError,
    check_finite,
    compile_expression,
)

X = np.linspace(-2.0, 2.0, 9)
X_EXTREME = np.array(
    [
        -np.inf,
        -1e308,
        -1e10,
        -1.0,
        -1e-300,
        0.0,
        1e-300,
        1.0,
        1e10,
        1e308,
        np.inf,
        np.nan,
    ]
)
"""Points where an accepted expression must still evaluate without raising."""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x", X),
        ("2*x + 1", 2 * X + 1),
        ("x^2", X**2),
        ("x**2", X**2),
        ("-x^2", -(X**2)),
        ("2^3^2", np.full_like(X, 2.0**9)),
        ("exp(-x^2/2)", np.exp(-(X**2) / 2)),
        ("abs(x) + sqrt(4)", np.abs(X) + 2),
        ("sin(pi*x) + cos(e)", np.sin(np.pi * X) + np.cos(np.e)),
        ("where(x > 0, x, 0)", np.maximum(X, 0)),
        ("(0 < x < 1) * 3", np.where((X > 0) & (X < 1), 3.0, 0.0)),
        ("max(x, 1) - min(x, -1)", np.maximum(X, 1) - np.minimum(X, -1)),
        ("atan2(1, x)", np.arctan2(1, X)),
        ("3", np.full_like(X, 3.0)),
    ],
)
def test_expression_values(text, expected):
    values = compile_expression(text)(X)
    assert values.shape == X.shape, f"{text}: shape {values.shape}"
    np.testing.assert_allclose(values, expected, err_msg=text)


def test_two_variables_broadcast():
    f = compile_expression("x*y + 1", ("x", "y"))
    values = f(np.arange(3.0)[:, None], np.arange(2.0)[None, :])
    assert values.shape == (3, 2), f"broadcast shape is {values.shape}"
    assert values[2, 1] == 3.0, f"x=2, y=1 gives {values[2, 1]}"
    assert f.used_variables == {"x", "y"}, f"used {f.used_variables}"


def test_caret_keeps_error_columns():
    with pytest.raises(ExpressionError) as info:
        compile_expression("x^2 + foo")
    assert info.value.column == 7, f"column {info.value.column} for 'foo'"


def test_unknown_name_lists_allowed():
    with pytest.raises(ExpressionError, match="unknown name 'z'") as info:
        compile_expression("x + z")
    assert info.value.column == 5, f"column {info.value.column}"


def test_wrong_arity_rejected():
    with pytest.raises(ExpressionError, match="takes 1 argument"):
        compile_expression("exp(x, 1)")


def test_evaluation_errors_do_not_raise():
    values = compile_expression("log(x) + 1")(np.array([-1.0, 0.0, 1.0]))
    assert math.isnan(values[0]), f"log(-1) + 1 gave {values[0]}"
    assert values[1] == -np.inf, f"log(0) + 1 gave {values[1]}"
    assert values[2] == 1.0, f"log(1) + 1 gave {values[2]}"


def test_check_finite_reports_first_bad_x():
    x = np.array([1.0, 2.0, 0.0, -1.0])
    values = compile_expression("sqrt(x) / x")(x)
    with pytest.raises(EvaluationError) as info:
        check_finite(values, x, "the density")
    assert info.value.point == (0.0,), f"first bad point {info.value.point}"
    assert "x = 0" in str(info.value), f"message: {info.value}"


def test_check_finite_rejects_negative():
    x = np.array([0.5, -0.5])
    with pytest.raises(EvaluationError, match="negative") as info:
        check_finite(x, x, "the density", nonnegative=True)
    assert info.value.point == (-0.5,), f"point {info.value.point}"


def test_check_finite_names_2d_point():
    points = np.array([[0.0, 1.0], [2.0, 3.0]])
    with pytest.raises(EvaluationError, match=r"\(x, y\) = \(2, 3\)"):
        check_finite(np.array([1.0, np.nan]), points, "the density", names=("x", "y"))


HOSTILE = [
    "__import__('os').system('touch pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "[x for x in ()]",
    "{x for x in ()}",
    "(x for x in ())",
    "x.real",
    "open('pwned', 'w')",
    "exec('import os')",
    "eval('1')",
    "compile('1', 'f', 'eval')",
    "globals()",
    "locals()",
    "vars()",
    "'a'*10",
    "b'a'",
    "9**9**9",
    "10**100000",
    "2**(10**6)",
    "1e400",
    "1" * 400,
    "x+" * 5000 + "x",
    "(" * 1000 + "x" + ")" * 1000,
    "-" * 499 + "x",
    "x if x else 1",
    "(x:=1)",
    "f'{x}'",
    "getattr(x, 'y')",
    "__builtins__",
    "x.__class__",
    "exp.__globals__",
    "exp(x, base=2)",
    "exp(*[x])",
    "x[0]",
    "x and 1",
    "not x",
    "x % 2",
    "x @ x",
    "x ^^ 2",
    "import os",
    "x; 1",
    "x\n+1",
    "\x00",
    "",
    "yield x",
    "await x",
    "...",
    "True",
    "None",
    "1j",
    "sys.modules",
    "exp",
    # String and Unicode tricks: strings built or formatted at run time, names
    # that Unicode normalisation (NFKC) turns into dunders, invisible characters.
    "\ufe33\ufe33import\ufe33\ufe33('os')",
    "\uff3f\uff3fimport\uff3f\uff3f('os')",
    "__builtins__['eval']('1')",
    "'%s' % x",
    "'x'.join('y')",
    "'''x'''",
    "r'x' + x",
    "u'x'",
    "f'{__import__(\"os\")}'",
    "chr(95) * 2",
    "\\x5f\\x5fimport\\x5f\\x5f",
    "x\u202e + 1",
    "x\u200b",
    "ex\u00adp(x)",
    "(lambda: 0).__code__",
    "[].__class__.__base__",
    "pi.real",
    "type(x)",
    "__debug__",
    "_",
    "~x",
    "x \\\n+ 1",
    # Constants that overflow, and deep or long input.
    "(1e100)^(1e3)",
    "gamma(1000)",
    "exp(1000)",
    "x^(9^9)",
    "x" + " " * 600,
    "exp(" * 45 + "x" + ")" * 45,
]


def test_hostile_expressions_rejected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    modules_before = set(sys.modules)
    for text in HOSTILE:
        start = time.perf_counter()
        with pytest.raises(ExpressionError):
            compile_expression(text)
        elapsed = time.perf_counter() - start
        assert elapsed < 0.5, f"{text[:40]!r} took {elapsed:.2f} s to reject"
    assert os.listdir(tmp_path) == [], f"files appeared: {os.listdir(tmp_path)}"
    new_modules = set(sys.modules) - modules_before
    assert not new_modules, f"modules imported: {sorted(new_modules)}"


def test_hostile_list_is_long_enough():
    assert len(HOSTILE) >= 20, f"only {len(HOSTILE)} hostile expressions"


def test_length_limit_message():
    with pytest.raises(ExpressionError, match=str(MAX_LENGTH)):
        compile_expression("x" * (MAX_LENGTH + 1))


def test_big_exponent_rejected_at_compile():
    with pytest.raises(ExpressionError, match="exponent") as info:
        compile_expression("x + 9^9^9")
    assert info.value.column is not None, "exponent error has no column"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_only_expression_error(text):
    try:
        f = compile_expression(text)
    except ExpressionError:
        return
    for points in (X, X_EXTREME):
        values = f(points)
        assert values.shape == points.shape, f"{text!r} gave shape {values.shape}"


TOKENS = st.sampled_from(
    list("x()+-*/^.,'[]_ 019e")
    + ["**", "exp", "log", "where", "pi", "__", "lambda", "if", "else", ":="]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_random_tokens_only_expression_error(text):
    try:
        f = compile_expression(text)
    except ExpressionError:
        return
    for points in (X, X_EXTREME):
        values = f(points)
        assert values.shape == points.shape, f"{text!r} gave shape {values.shape}"

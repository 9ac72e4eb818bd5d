"""Target settings shared by the sampling tabs: fields, examples and the builder.

A target is a named distribution such as ``gamma(3, 1)``, a typed unnormalised
density in x (or in x and y, for Metropolis-Hastings) on a domain, or a typed CDF
on a finite domain (for inverse transform sampling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.sampler_options import TARGET_HELP
from widgets.settings_form import Field

KINDS = ("distribution", "density", "CDF")

DISTRIBUTIONS_1D = (
    "normal(0, 1)",
    "exponential(1)",
    "laplace(0, 1)",
    "cauchy(0, 1)",
    "logistic(0, 1)",
    "weibull(1.5)",
    "beta(2, 5)",
    "gamma(3, 1)",
    "mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))",
)
DISTRIBUTIONS_2D = ("banana(0.5)", "donut(2, 0.3)", "mixture2d", "funnel(3)")


@dataclass(frozen=True)
class Example:
    """A typed density or CDF with the domain it is meant for."""

    text: str
    low: str
    high: str
    y_low: str = "-inf"
    y_high: str = "inf"


DENSITIES_1D = (
    Example("exp(-x^2/2) * (2 + sin(5*x))", "-5", "5"),
    Example("x^2 * exp(-x)", "0", "30"),
    Example("sqrt(x) * (1 - x)^3", "0", "1"),
    Example("exp(-abs(x)) * (1 + cos(3*x))", "-10", "10"),
)
DENSITIES_2D = (
    Example("exp(-x^2/8 - (y - (x^2 - 4)/2)^2/2)", "-inf", "inf"),
    Example("exp(-(sqrt(x^2 + y^2) - 2)^2 / 0.18)", "-inf", "inf"),
    Example("exp(-(x^2 + y^2)/2) * (1 + sin(2*x*y)^2)", "-inf", "inf"),
)
CDFS = (
    Example("x^2", "0", "1"),
    Example("(1 - cos(pi*x)) / 2", "0", "1"),
    Example("1 - exp(-x)", "0", "30"),
    Example("0.5 + arctan(x)/pi", "-1000", "1000"),
)

DENSITY_HELP = (
    "An unnormalised density in x{and_y}, such as exp(-x^2/2) * (2 + sin(5*x)). "
    "Use numbers, x{and_y}, pi, e, + - * / and ^ or ** for powers, comparisons such "
    "as (x > 0), and functions such as exp, log, sqrt, sin, abs and where(c, a, b)."
)
CDF_HELP = (
    "A cumulative distribution function in x on a finite domain, about 0 at the "
    "low end and 1 at the high end, such as 1 - exp(-x)."
)


def examples(kind: str, *, two_d: bool = False) -> tuple[Example, ...]:
    """Return the examples offered for a kind of target."""
    if kind == "distribution":
        texts = DISTRIBUTIONS_1D + (DISTRIBUTIONS_2D if two_d else ())
        return tuple(Example(text, "-inf", "inf") for text in texts)
    if kind == "density":
        return DENSITIES_1D + (DENSITIES_2D if two_d else ())
    return CDFS


def find_example(kind: str, text: str, *, two_d: bool = False) -> Example | None:
    """Return the example whose text is ``text`` (spaces ignored), or None."""
    squeezed = text.replace(" ", "")
    for example in examples(kind, two_d=two_d):
        if example.text.replace(" ", "") == squeezed:
            return example
    return None


def target_help(kind: str, *, two_d: bool = False) -> str:
    """Return the tooltip of the target field for a kind of target."""
    if kind == "distribution":
        return TARGET_HELP if two_d else TARGET_HELP.split(" 2-D:")[0]
    if kind == "density":
        return DENSITY_HELP.format(and_y=" (and y for a 2-D target)" if two_d else "")
    return CDF_HELP


def target_fields(
    kinds: tuple[str, ...],
    default: str,
    *,
    two_d: bool = False,
    group: str = "Target",
) -> list[Field]:
    """Describe the target settings: kind, target text and domain."""
    fields = [
        Field(
            "kind",
            "Target type",
            "choice",
            "distribution",
            choices=kinds,
            tooltip="distribution: a named family such as gamma(3, 1); density: a "
            "typed unnormalised density on the domain below"
            + ("; CDF: a typed CDF on a finite domain" if "CDF" in kinds else ""),
            group=group,
        ),
        Field(
            "target",
            "Target",
            "editable",
            default,
            choices=tuple(e.text for e in examples("distribution", two_d=two_d)),
            tooltip=target_help("distribution", two_d=two_d),
            group=group,
        ),
        Field(
            "low",
            "Domain low" if not two_d else "x low",
            "text",
            "-5",
            tooltip="Low end of the domain of a typed density or CDF: a number, a "
            "constant expression such as -2*pi, or -inf",
            group=group,
        ),
        Field(
            "high",
            "Domain high" if not two_d else "x high",
            "text",
            "5",
            tooltip="High end of the domain of a typed density or CDF: a number, a "
            "constant expression such as 2*pi, or inf",
            group=group,
        ),
    ]
    if two_d:
        fields += [
            Field(
                "y_low",
                "y low",
                "text",
                "-inf",
                tooltip="Low end of y for a typed density in x and y",
                group=group,
            ),
            Field(
                "y_high",
                "y high",
                "text",
                "inf",
                tooltip="High end of y for a typed density in x and y",
                group=group,
            ),
        ]
    return fields


def parse_bound(text: str, label: str) -> float:
    """Read a domain bound: a number, ``inf``, ``-inf`` or a constant expression.

    Raises
    ------
    ValueError
        If the text is none of these; the message names the field.
    """
    from models.expressions import ExpressionError, compile_expression

    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        value = float(compile_expression(text, ())())
    except ExpressionError as error:
        raise ValueError(
            f"{label} must be a number, a constant expression or ±inf, got {text!r}: "
            f"{error}"
        ) from None
    if math.isnan(value):
        raise ValueError(f"{label} is not a number: {text!r}")
    return value


@dataclass(frozen=True)
class TargetSpec:
    """Checked target settings, ready to build the target in a worker thread."""

    kind: str
    text: str
    x_bounds: tuple[float, float]
    y_bounds: tuple[float, float]
    two_d: bool

    def build(self):
        """Build the target; this may take a while for a typed density.

        Raises
        ------
        ValueError
            ``TargetError`` or ``ExpressionError`` with a message that names the
            problem, such as the point where a density is negative.
        """
        from models.targets import (
            CdfTarget,
            Density2DTarget,
            DensityTarget,
            parse_target,
            parse_target_1d,
        )

        if self.kind == "distribution":
            return parse_target(self.text) if self.two_d else parse_target_1d(self.text)
        if self.kind == "CDF":
            return CdfTarget(self.text, *self.x_bounds)
        if self.uses_y():
            return Density2DTarget(self.text, self.x_bounds, self.y_bounds)
        return DensityTarget(self.text, *self.x_bounds)

    def uses_y(self) -> bool:
        from models.expressions import compile_expression

        return "y" in compile_expression(self.text, ("x", "y")).used_variables


def check_target(values: dict, *, allow_2d: bool = False) -> TargetSpec:
    """Check the target settings quickly, without building the target.

    Named distributions are parsed and typed expressions compiled, which takes
    milliseconds; normalising a density is left to `TargetSpec.build`.

    Raises
    ------
    ValueError
        With a message that names the field and, for an expression, the column.
    """
    from models.expressions import compile_expression
    from models.targets import parse_target, parse_target_1d

    kind = values["kind"]
    text = values["target"].strip()
    if not text:
        raise ValueError("Target is empty; pick an example or type one")
    if kind not in KINDS:
        raise ValueError(f"unknown target type {kind!r}; choose one of {KINDS}")
    if kind == "distribution":
        if allow_2d:
            parse_target(text)
        else:
            parse_target_1d(text)
        infinite = (-math.inf, math.inf)
        return TargetSpec(kind, text, infinite, infinite, allow_2d)

    # Typed expressions: compile in x (and y), then read the domain.
    variables = ("x", "y") if kind == "density" else ("x",)
    expression = compile_expression(text, variables)
    if "y" in expression.used_variables and not allow_2d:
        raise ValueError(
            "this tab samples densities in x only; use the Metropolis-Hastings tab "
            "for a density in x and y"
        )
    x_bounds = _bounds(values, "low", "high", "Domain")
    y_bounds = (-math.inf, math.inf)
    if "y_low" in values:
        y_bounds = _bounds(values, "y_low", "y_high", "y")
    if kind == "CDF" and not all(math.isfinite(v) for v in x_bounds):
        raise ValueError(
            f"a typed CDF needs a finite domain, got [{x_bounds[0]:g}, {x_bounds[1]:g}]"
        )
    return TargetSpec(kind, text, x_bounds, y_bounds, allow_2d)


def _bounds(values: dict, low_key: str, high_key: str, label: str):
    low = parse_bound(values[low_key], f"{label} low")
    high = parse_bound(values[high_key], f"{label} high")
    if not high > low:
        raise ValueError(
            f"{label} low ({low:g}) must be below {label.lower()} high ({high:g})"
        )
    return low, high

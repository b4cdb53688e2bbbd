"""One benchmark line: a value, its baseline from the same run, their ratio, and the goal it is held to."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Goal:
    """A target from the benchmark issue, shown in the table; `met` gets the whole result."""

    text: str
    met: Callable[[Result], bool]


def at_least_ratio(minimum: float) -> Goal:
    return Goal(f"≥{minimum:g}x baseline", lambda r: r.ratio is not None and r.ratio >= minimum)


def at_most(maximum: float, unit: str) -> Goal:
    return Goal(f"≤{maximum:g} {unit}", lambda r: r.value is not None and r.value <= maximum)


def at_least(minimum: float, unit: str) -> Goal:
    return Goal(f"≥{minimum:g} {unit}", lambda r: r.value is not None and r.value >= minimum)


def at_most_above_baseline(maximum: float, unit: str) -> Goal:
    return Goal(
        f"≤ baseline + {maximum:g} {unit}",
        lambda r: r.value is not None and r.baseline_value is not None and r.value - r.baseline_value <= maximum,
    )


@dataclass(frozen=True)
class Result:
    """`ratio` is value / baseline_value; a value of None means the measurement could not run (see `note`)."""

    name: str
    value: float | None
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    note: str = ""
    goal: Goal | None = field(default=None, compare=False)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def as_json(self) -> str:
        line: dict[str, object] = {
            "name": self.name,
            "value": _rounded(self.value),
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": _rounded(self.baseline_value),
            "ratio": _rounded(self.ratio),
        }
        if self.note:
            line["note"] = self.note
        return json.dumps(line, ensure_ascii=False)

    def verdict(self) -> str:
        if self.goal is None:
            return ""
        if self.value is None:
            return f"{self.goal.text}: not measured"
        return f"{self.goal.text}: {'met' if self.goal.met(self) else 'MISSED'}"


def _rounded(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 4 if abs(value) < 10 else 2)


def skipped(names: Sequence[tuple[str, str]], note: str) -> list[Result]:
    """Lines with value null for measurements that cannot run here, so every line is still printed."""
    return [Result(name, None, unit, note=note) for name, unit in names]


class Report:
    """Prints each line as soon as it is measured, and the table at the end."""

    def __init__(self) -> None:
        self.results: list[Result] = []

    def add(self, results: Sequence[Result]) -> None:
        for result in results:
            self.results.append(result)
            print(result.as_json(), flush=True)

    def table(self, machine: str) -> str:
        rows = [("name", "value", "baseline", "ratio", "goal")]
        for r in self.results:
            value = "null" if r.value is None else f"{_human(r.value)} {r.unit}"
            base = r.baseline or ""
            if r.baseline_value is not None:
                base += f" = {_human(r.baseline_value)}"
            ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
            rows.append((r.name, value, base, ratio, r.verdict() or r.note))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [f"# {machine}"]
        for row in rows:
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:4])]
            lines.append("  ".join([*cells, row[4]]).rstrip())
        return "\n".join(lines)


def _human(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def warn(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)

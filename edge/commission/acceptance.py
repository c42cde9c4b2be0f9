"""The acceptance test's arithmetic: the unit's counts against the installer's tally, and a reversed line."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

PASS_AGREEMENT = 0.9  # commercial counters are accepted at 90-95 %; below this the line or the aim needs work


@dataclass
class Tally:
    """What the installer saw: typed one crossing a line ("i" / "in", "o" / "out") or as totals ("in=12,out=3")."""

    in_: int = 0
    out: int = 0
    typed: int = 0

    def add(self, text: str) -> None:
        text = text.strip().lower()
        if not text:
            return
        if "=" in text:
            found = dict(re.findall(r"(in|out)\s*=\s*(\d+)", text))
            if not found:
                raise ValueError(f"tally: {text!r}: expected in=N,out=M")
            self.in_, self.out = int(found.get("in", 0)), int(found.get("out", 0))
        elif text in ("i", "in", "+"):
            self.in_ += 1
        elif text in ("o", "out", "-"):
            self.out += 1
        else:
            raise ValueError(f"tally: {text!r}: type i (in), o (out), or in=N,out=M")
        self.typed += 1

    @classmethod
    def parse(cls, text: str) -> "Tally":
        t = cls()
        t.add(text if "=" in text else f"in={text}")
        return t


@dataclass(frozen=True)
class Result:
    crossings: int  # asked for
    unit_in: int
    unit_out: int
    true_in: int
    true_out: int
    agreement: float  # 1 - (|in error| + |out error|) / true total
    reversed: bool  # the unit's in matches the tally's out (and vice versa) better than its own direction
    passed: bool
    lines: list

    @property
    def summary(self) -> str:
        s = (f"acceptance: unit in {self.unit_in} out {self.unit_out}, tally in {self.true_in} out {self.true_out}: "
             f"agreement {self.agreement:.0%} ({'passed' if self.passed else 'FAILED'})")
        if self.reversed:
            s += (f"\nREVERSED LINE: the unit's `in` is your `out`: swap a and b of {', '.join(self.lines)} "
                  "(footfall_lines in host_vars)")
        return s

    def as_dict(self) -> dict:
        return asdict(self)


def compare(asked: int, unit: dict[str, dict[str, int]], tally: Tally) -> Result:
    ui, uo = sum(c["in"] for c in unit.values()), sum(c["out"] for c in unit.values())
    ti, to = tally.in_, tally.out
    total = max(ti + to, 1)
    direct = abs(ui - ti) + abs(uo - to)
    swapped = abs(ui - to) + abs(uo - ti)
    agreement = max(0.0, 1 - direct / total)
    reversed_ = ti != to and swapped < direct
    return Result(asked, ui, uo, ti, to, round(agreement, 3), reversed_,
                  agreement >= PASS_AGREEMENT and not reversed_, sorted(unit))

"""Pass rules: how a value answer (a count, a percentage, a time) becomes pass or fail.

A rule is data stored with the criterion, in a tiny grammar:
    value <op> <number>           e.g. "value == 0", "value >= 90"
    value <op> desk.opens_at      e.g. "value <= desk.opens_at" (present by opening time)
    value <op> desk.closes_at     e.g. "value >= desk.closes_at" (did not leave early)
with <op> one of == != >= <= > <.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass
from decimal import Decimal

_RULE = re.compile(
    r"^\s*value\s*(==|!=|>=|<=|>|<)\s*(desk\.opens_at|desk\.closes_at|-?\d+(?:\.\d+)?)\s*$"
)
_OPERATORS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
              ">": operator.gt, "<": operator.lt}
DESK_REFERENCES = {"desk.opens_at": "opens_at", "desk.closes_at": "closes_at"}


@dataclass(frozen=True)
class PassRule:
    op: str
    operand: str

    @property
    def is_time(self) -> bool:
        return self.operand in DESK_REFERENCES

    def passes(self, value: Decimal | dt.time, desk=None) -> bool:
        if self.is_time:
            if desk is None or not isinstance(value, dt.time):
                raise ValueError("a time rule needs a time value and a desk")
            target = getattr(desk, DESK_REFERENCES[self.operand])
        else:
            target = Decimal(self.operand)
        return _OPERATORS[self.op](value, target)


def parse_rule(text: str) -> PassRule:
    match = _RULE.match(text or "")
    if not match:
        raise ValueError(f"not a pass rule: {text!r}")
    return PassRule(match.group(1), match.group(2))


def check_rule_for(answer_type: str, rule_text: str | None) -> str | None:
    """An error message if the rule does not fit the answer type, else None."""
    if rule_text is None:
        return None
    try:
        rule = parse_rule(rule_text)
    except ValueError:
        return "Quy tắc đạt không hợp lệ (ví dụ: 'value == 0', 'value >= 90', 'value <= desk.opens_at')."
    if answer_type == "time" and not rule.is_time:
        return "Tiêu chí kiểu giờ phải so với desk.opens_at hoặc desk.closes_at."
    if answer_type in {"count", "percent"} and rule.is_time:
        return "Tiêu chí kiểu số phải so với một số."
    if answer_type in {"yes_no", "text"}:
        return "Tiêu chí có/không hoặc văn bản không dùng quy tắc đạt."
    return None

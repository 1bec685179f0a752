"""Watch rules are configuration (rules.json, or the file YBSS_PERSON_WATCH_RULES names): which causing event,
which key-person categories, which special trades. Pure: the projection asks ``match`` for one event."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from contracts import special_trades

DEFAULT_FILE = Path(__file__).with_name("rules.json")


@dataclass(frozen=True)
class Rule:
    rule: str  #: stable code, e.g. ``hired_special_trade``
    name: str  #: 规则名称
    events: tuple[str, ...]  #: causing event types
    categories: tuple[str, ...] | None = None  #: key-person category codes; None = every category
    trades: tuple[str, ...] | None = None  #: the unit must carry one of these trades; None = any

    def matches(self, event_type: str, category_code: str | None, trades: list[str] | None) -> bool:
        if event_type not in self.events:
            return False
        if self.categories is not None and category_code not in self.categories:
            return False
        return self.trades is None or bool(set(self.trades) & set(trades or []))


def parse(document: dict) -> tuple[Rule, ...]:
    """Rules from their JSON form; an unknown trade code is refused at start rather than never matching."""
    rules = []
    for row in document["rules"]:
        trades = tuple(row["trades"]) if row.get("trades") is not None else None
        unknown = [code for code in trades or () if special_trades.get(code) is None]
        if unknown:
            raise ValueError(f"watch rule {row['rule']}: unknown special trades {unknown}")
        rules.append(Rule(rule=row["rule"], name=row["name"], events=tuple(row["events"]),
                          categories=tuple(row["categories"]) if row.get("categories") is not None else None,
                          trades=trades))
    return tuple(rules)


@lru_cache(maxsize=1)
def configured() -> tuple[Rule, ...]:
    path = Path(os.environ.get("YBSS_PERSON_WATCH_RULES") or DEFAULT_FILE)
    return parse(json.loads(path.read_text(encoding="utf-8")))


def match(rules: tuple[Rule, ...], event_type: str, category_code: str | None,
          trades: list[str] | None) -> Rule | None:
    """The first rule the event meets for a key person of ``category_code`` (None: no alert)."""
    return next((rule for rule in rules if rule.matches(event_type, category_code, trades)), None)

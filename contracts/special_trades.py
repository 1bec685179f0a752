"""Special and key trades (特种行业 and 重点行业): the shipped code table the unit registry checks against.

The list is DOMAIN.md's: 旅馆, 典当, 公章刻制, 开锁, 废旧金属收购, 机动车修理/拆解, 二手车/旧手机交易, 寄递物流,
娱乐场所, 上网服务场所, 保安服务, 危爆物品, 剧毒化学品, 管制刀具, 涉枪 (the two "A/B" entries are split, each
has its own licence), and the notice's 留宿洗浴 (``overnight_bath``: guests stay the night, so the place is
licensed, inspected every 30 days and watched as a 旅馆 is). ``category`` is ``special`` for the trades the
public-security organs license as 特种行业, ``key`` for the other key trades they watch.
``inspection_cycle_days`` is the default interval between inspections; a deployment overrides it per trade
(``YBSS_UNIT_INSPECTION_CYCLE_DAYS``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DATA_FILE = "special_trades.json"


@dataclass(frozen=True)
class SpecialTrade:
    code: str  #: stable English code used in events and APIs, e.g. ``hotel``
    name: str  #: Chinese name, e.g. 旅馆业
    category: str  #: ``special`` 特种行业 or ``key`` 其他重点行业
    licence: str  #: the licence (许可证/备案) a unit of this trade must hold
    inspection_cycle_days: int  #: default 检查周期


@lru_cache(maxsize=1)
def trades() -> dict[str, SpecialTrade]:
    rows = json.loads(resources.files("contracts.data").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    return {row["code"]: SpecialTrade(**row) for row in rows}


def get(code: str) -> SpecialTrade | None:
    return trades().get(code)


def codes() -> tuple[str, ...]:
    return tuple(trades())

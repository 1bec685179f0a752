"""Address element types (地址要素类型, GA/T 2000.32) and the parent → child rule.

Why: a standard address is a tree (province → … → room), and a child must sit below its parent:
a room cannot hang under a road, a road cannot hang under a building.  ``check_parent`` is the one
place that rule lives, with a bilingual message naming the rule that was broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ElementType(IntEnum):
    """GA/T 2000.32 element type codes."""

    PROVINCE = 11  #: 省级
    PREFECTURE = 12  #: 地级
    COUNTY = 13  #: 县级
    TOWNSHIP = 21  #: 乡 (incl. 民族乡, 苏木)
    TOWN = 22  #: 镇
    SUBDISTRICT = 23  #: 街道
    COMMUNITY = 31  #: 社区
    RESIDENTS_COMMITTEE = 32  #: 居委会
    VILLAGE_COMMITTEE = 33  #: 村委会
    VILLAGER_GROUP = 34  #: 村民小组
    ROAD = 41  #: 街路巷
    COMPOUND = 42  #: 小区
    INSTITUTION_COMPOUND = 43  #: 单位院
    NATURAL_VILLAGE = 44  #: 自然村
    BUILDING = 50  #: 门楼牌 / 楼栋 (door plate or building)
    UNIT = 61  #: 单元
    ROOM = 62  #: 户室

    @property
    def tier(self) -> int:
        """Depth in the tree: 0 province … 8 room.  Types of one tier are alternatives."""
        return _TIER[self]

    @property
    def label_zh(self) -> str:
        """Chinese name of the element type."""
        return _LABEL_ZH[self]


_TIER = {
    ElementType.PROVINCE: 0,
    ElementType.PREFECTURE: 1,
    ElementType.COUNTY: 2,
    ElementType.TOWNSHIP: 3,
    ElementType.TOWN: 3,
    ElementType.SUBDISTRICT: 3,
    ElementType.COMMUNITY: 4,
    ElementType.RESIDENTS_COMMITTEE: 4,
    ElementType.VILLAGE_COMMITTEE: 4,
    ElementType.VILLAGER_GROUP: 4,
    ElementType.ROAD: 5,
    ElementType.COMPOUND: 5,
    ElementType.INSTITUTION_COMPOUND: 5,
    ElementType.NATURAL_VILLAGE: 5,
    ElementType.BUILDING: 6,
    ElementType.UNIT: 7,
    ElementType.ROOM: 8,
}

_LABEL_ZH = {
    ElementType.PROVINCE: "省级行政区",
    ElementType.PREFECTURE: "地级行政区",
    ElementType.COUNTY: "县级行政区",
    ElementType.TOWNSHIP: "乡",
    ElementType.TOWN: "镇",
    ElementType.SUBDISTRICT: "街道",
    ElementType.COMMUNITY: "社区",
    ElementType.RESIDENTS_COMMITTEE: "居委会",
    ElementType.VILLAGE_COMMITTEE: "村委会",
    ElementType.VILLAGER_GROUP: "村民小组",
    ElementType.ROAD: "街路巷",
    ElementType.COMPOUND: "小区",
    ElementType.INSTITUTION_COMPOUND: "单位院",
    ElementType.NATURAL_VILLAGE: "自然村",
    ElementType.BUILDING: "门楼牌/楼栋",
    ElementType.UNIT: "单元",
    ElementType.ROOM: "户室",
}

#: Same-tier pairs that are real nesting: a 村民小组 belongs to a 村委会 (or 社区/居委会), and a
#: 楼栋 stands inside the compound of a 门牌 (天马路18号 → 3栋).  Keeping a building from nesting under a
#: building twice is the aggregate's job: the type code alone cannot tell a door plate from a 楼栋.
SAME_TIER_NESTING = frozenset(
    {
        (ElementType.VILLAGE_COMMITTEE, ElementType.VILLAGER_GROUP),
        (ElementType.COMMUNITY, ElementType.VILLAGER_GROUP),
        (ElementType.RESIDENTS_COMMITTEE, ElementType.VILLAGER_GROUP),
        (ElementType.BUILDING, ElementType.BUILDING),
    }
)


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """A broken hierarchy rule: ``rule`` is a stable identifier, messages in Chinese and English."""

    rule: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


def parse_element_type(value: int | str | ElementType) -> ElementType:
    """ElementType from its code (``41``, ``"41"``); ValueError naming the accepted codes otherwise."""
    try:
        return ElementType(int(value))
    except (TypeError, ValueError):
        codes = ", ".join(str(int(t)) for t in ElementType)
        raise ValueError(
            f"未知地址要素类型 {value!r}，应为 {codes} / unknown address element type {value!r}, expected one of {codes}"
        ) from None


def check_parent(parent_type: ElementType | int | None, child_type: ElementType | int) -> RuleViolation | None:
    """None when ``child_type`` may hang under ``parent_type``, else the rule it breaks.

    A child's tier must be below its parent's (tiers may be skipped: a road directly under a town, a
    room directly under a building without units).  Only a province may have no parent.
    """
    child = parse_element_type(child_type)
    if parent_type is None:
        if child is ElementType.PROVINCE:
            return None
        return RuleViolation(
            "parent-required",
            f"{child.label_zh}({int(child)})必须有上级地址要素",
            f"a {child.name.lower()} ({int(child)}) element needs a parent element",
        )
    parent = parse_element_type(parent_type)
    if child.tier > parent.tier or (parent, child) in SAME_TIER_NESTING:
        return None
    return RuleViolation(
        "child-below-parent",
        f"下级地址要素类型须低于上级：{child.label_zh}({int(child)})不能挂在{parent.label_zh}({int(parent)})之下"
        "（省→市→县→乡镇街道→社区/村→街路巷/小区→门楼牌/楼栋→单元→户室）",
        f"a child's type must sit below its parent's: {child.name.lower()} ({int(child)}) cannot be placed "
        f"under {parent.name.lower()} ({int(parent)}) (province → prefecture → county → township → "
        "community/village → road/compound → building → unit → room)",
    )

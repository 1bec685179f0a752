"""Standard-address aggregates: places (roads, compounds, communities) and door plates. Pure: no I/O."""

from __future__ import annotations

from contracts.address import DoorplateRegistered, PlaceRegistered
from services.kernel.aggregate import Aggregate, applies
from services.kernel.errors import DomainRuleViolation


def place_stream(code: str) -> str:
    return f"place-{code}"


def doorplate_stream(code: str) -> str:
    return f"doorplate-{code}"


class Place(Aggregate):
    """A named element below the township: 街路巷, 小区, 单位院, 自然村, 社区, 村委会."""

    stream_type = "Place"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.code = ""
        self.name = ""
        self.element_type = ""
        self.division_code = ""

    @classmethod
    def register(cls, event: PlaceRegistered) -> "Place":
        if not event.name.strip():
            raise DomainRuleViolation("name", "required", "name must not be empty", "名称不能为空")
        place = cls(place_stream(event.code))
        place.record(event)
        return place

    @applies(PlaceRegistered)
    def _registered(self, event: PlaceRegistered) -> None:
        self.code, self.name = event.code, event.name
        self.element_type, self.division_code = event.element_type, event.division_code


class Doorplate(Aggregate):
    """门楼牌: the anchor every person, house and unit hangs on."""

    stream_type = "Doorplate"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.code = ""
        self.number = ""
        self.place_code = ""

    @classmethod
    def register(cls, event: DoorplateRegistered) -> "Doorplate":
        if not event.number.strip():
            raise DomainRuleViolation("number", "required", "door number must not be empty", "门牌号不能为空")
        doorplate = cls(doorplate_stream(event.code))
        doorplate.record(event)
        return doorplate

    @applies(DoorplateRegistered)
    def _registered(self, event: DoorplateRegistered) -> None:
        self.code, self.number, self.place_code = event.code, event.number, event.place_code

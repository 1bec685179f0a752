"""Sweep worklists of the house service (街不漏巷、巷不漏院、院不漏房、房不漏人): the collector's lists of gaps."""

from __future__ import annotations

from fastapi import APIRouter

from services.house.views import sweeps as views
from services.kernel.web.jurisdiction import division_worklist

router = APIRouter(prefix="/v1/sweeps", tags=["sweeps 清查"])
SWEEPING = ("collector", "police", "supervisor")

division_worklist(router, "/plates-without-house", "Door plates with no house registered 有门牌无房屋 (paged, or the "
                  "whole list as csv/xlsx)", "house.sweep", SWEEPING, views.plates_without_house)
division_worklist(router, "/houses-without-residents", "Houses with no resident and no rental 有房无人 (paged, or "
                  "the whole list as csv/xlsx)", "house.sweep", SWEEPING, views.houses_without_residents)
division_worklist(router, "/rentals-without-tenants", "Active rentals with no current tenant 出租无承租人 (paged, or "
                  "the whole list as csv/xlsx)", "house.sweep", SWEEPING, views.rentals_without_tenants)
division_worklist(router, "/residents-at-plates-with-rooms", "Residents recorded at a door plate whose building has "
                  "rooms 人在门牌未到房 (a room should be chosen; paged, or the whole list as csv/xlsx)", "house.sweep",
                  SWEEPING, views.residents_at_plates_with_rooms)

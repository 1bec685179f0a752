"""Deadline lists a supervisor queries for their jurisdiction (期限预警): one MongoDB filter per flag, built
from the same thresholds as the record's own flags (contracts.person_deadlines), against ``as_of``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from contracts.calendar import local_date
from contracts.person_deadlines import PERMIT_WARNING_DAYS, Flag
from services.kernel.web.paging import Segment, Worklist, one_each
from services.kernel.messaging.read_models import ReadModels
from services.person.views.persons import persons


def flag_filter(flag: Flag, as_of: datetime) -> dict:
    today = local_date(as_of)
    day, warn = today.isoformat(), (today + timedelta(days=PERMIT_WARNING_DAYS)).isoformat()
    active = {"status": "active"}
    return {
        Flag.migrant_registered_late: {**active, "category": "migrant", "deadline.registered_late": True},
        Flag.residence_permit_expiring: {**active, "category": "migrant",
                                         "deadline.permit_expiry": {"$gte": day, "$lte": warn}},
        Flag.residence_permit_expired: {**active, "category": "migrant", "deadline.permit_expiry": {"$lt": day}},
        Flag.foreigner_registered_late: {**active, "category": "foreigner", "deadline.registered_late": True},
        Flag.foreigner_overstay: {**active, "category": "foreigner", "deadline.permitted_stay_until": {"$lt": day}},
        Flag.migrant_registration_overdue: {**active, "category": "migrant",
                                            "deadline.registration_valid_until": {"$lt": day}},
    }[flag]


def with_flag(reads: ReadModels, flag: Flag, as_of: datetime, scope: dict, shape: Callable[[dict], dict]) -> Worklist:
    """The persons with ``flag`` inside ``scope``, in id order, each shown by ``shape``."""
    return Worklist.of(Segment(persons(reads), {**flag_filter(flag, as_of), **scope}, one_each(shape)))

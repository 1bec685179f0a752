"""Deadline flags against a set clock, and masking per role (pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from contracts.person_deadlines import DeadlineFacts, Flag, flags
from services.kernel.base.masking import mask_id, mask_name, mask_person, mask_phone, visibility

UTC = timezone.utc
REGISTERED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def migrant(**overrides) -> DeadlineFacts:
    return DeadlineFacts(**{"category": "migrant", "status": "active", "registered_at": REGISTERED,
                            "arrival_date": date(2026, 11, 8), "renting": True,
                            "registration_valid_until": date(2027, 11, 10), **overrides})


def foreigner(**overrides) -> DeadlineFacts:
    return DeadlineFacts(**{"category": "foreigner", "status": "active", "registered_at": REGISTERED,
                            "accommodation": "rental", "arrived_at": REGISTERED - timedelta(hours=10),
                            "permitted_stay_until": date(2027, 1, 1), **overrides})


AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def test_no_flags_for_a_timely_migrant():
    assert flags(migrant(), AS_OF) == []


def test_migrant_renting_registered_after_three_days():
    assert flags(migrant(arrival_date=date(2026, 11, 6)), AS_OF) == [Flag.migrant_registered_late]
    assert flags(migrant(arrival_date=date(2026, 11, 7)), AS_OF) == []  # exactly 3 days: in time
    assert flags(migrant(arrival_date=date(2026, 11, 1), renting=False), AS_OF) == []


def test_residence_permit_expiring_within_thirty_days_or_expired():
    assert flags(migrant(residence_permit_expiry=date(2026, 12, 27)), AS_OF) == [Flag.residence_permit_expiring]
    assert flags(migrant(residence_permit_expiry=date(2026, 12, 28)), AS_OF) == []
    assert flags(migrant(residence_permit_expiry=date(2026, 11, 26)), AS_OF) == [Flag.residence_permit_expired]
    assert flags(migrant(residence_permit_expiry=date(2026, 11, 27)), AS_OF) == [Flag.residence_permit_expiring]


def test_migrant_registration_overdue_by_the_clock():
    facts = migrant(registration_valid_until=date(2026, 12, 1))
    assert flags(facts, AS_OF) == []
    assert flags(facts, AS_OF + timedelta(days=5)) == [Flag.migrant_registration_overdue]


def test_foreigner_registered_after_24_hours_outside_a_hotel():
    assert flags(foreigner(arrived_at=REGISTERED - timedelta(hours=25)), AS_OF) == [Flag.foreigner_registered_late]
    assert flags(foreigner(arrived_at=REGISTERED - timedelta(hours=25), accommodation="hotel"), AS_OF) == []
    assert flags(foreigner(), AS_OF) == []


def test_foreigner_past_the_permitted_stay():
    assert flags(foreigner(), datetime(2027, 1, 2, tzinfo=UTC)) == [Flag.foreigner_overstay]
    assert flags(foreigner(), datetime(2027, 1, 1, 15, 59, tzinfo=UTC)) == []  # 23:59 in China


def test_cancelled_records_carry_no_flags():
    assert flags(foreigner(status="cancelled"), datetime(2028, 1, 1, tzinfo=UTC)) == []


def test_masking_per_role():
    record = {"document_number": "53250319900101123X", "phone": "+8613800138000", "name": "张三丰",
              "former_names": ["张君宝"], "details": {"foreign_name": "ZHANG SANFENG"}}
    assert mask_person(record, visibility("police", True)) == record
    collector = mask_person(record, visibility("collector", True))
    assert collector["document_number"] == "5325**********123X" and collector["phone"] == "+86138****8000"
    assert collector["name"] == "张三丰"
    agency = mask_person(record, visibility("agency", True))
    assert agency["name"] == "张**" and agency["former_names"] == ["张**"] and agency["details"]["foreign_name"] == "Z**** S******"
    outside = mask_person(record, visibility("police", False))
    assert outside["document_number"].count("*") == 10 and outside["name"] == "张**"
    assert mask_person(record, visibility("admin", False)) == record
    assert mask_id("110105491231002") == "1101*******1002" and mask_phone(None) is None and mask_name("李") == "李"

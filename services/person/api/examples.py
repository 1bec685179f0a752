"""Complete, valid registrations, one per category: the OpenAPI examples of POST /v1/persons (a unit test
registers each of them)."""

from __future__ import annotations

BASE = {"household_registration": {"division_code": "532503", "detail": "文澜街道天马路18号"}, "ethnicity": "07",
        "phone": "13800138000", "education": "大学本科", "marital_status": "已婚", "occupation": "教师"}

REGISTRATIONS = {
    "registered": {"summary": "常住人口 registered resident", "value": {
        **BASE, "category": "registered", "document_number": "53250319900307122X", "name": "张丽", "sex": "female",
        "birth_date": "1990-03-07", "household_number": "532503001234", "relation_to_head": "户主",
        "lives_at_registered_address": True, "moved_in_on": "2012-05-01", "move_in_reason": "购房"}},
    "lodger": {"summary": "寄住人口 lodger", "value": {
        **BASE, "category": "lodger", "document_number": "532503201001010028", "name": "李小梅", "sex": "female",
        "birth_date": "2010-01-01", "lodging_type": "亲属寄住", "lodging_reason": "就学", "start_date": "2025-09-01",
        "expected_leave_date": "2028-07-01", "relation_to_owner": "外甥女", "owner_name": "李华"}},
    "migrant": {"summary": "流动人口 migrant renting", "value": {
        **BASE, "household_registration": {"division_code": "511602", "detail": "协兴镇牌坊村3组"},
        "ethnicity": "01", "category": "migrant", "document_number": "511602199208154517", "name": "王建国",
        "sex": "male", "birth_date": "1992-08-15", "occupation": "建筑工人", "residence_reason": "construction",
        "arrival_date": "2026-01-05", "origin": "四川省广安市广安区", "residence_type": "rental", "renting": True,
        "owner_name": "赵强", "residence_permit_number": "53250320260001", "residence_permit_expiry": "2027-01-06"}},
    "foreigner": {"summary": "境外人员 foreigner (2023 permanent-residence card)", "value": {
        "category": "foreigner", "document_type": "foreign_permanent_residence",
        "document_number": "953418198506150126", "name": "宋蓬", "sex": "female", "birth_date": "1985-06-15",
        "phone": "+856 20 5555 1234", "nationality": "LAO", "foreign_name": "SOMPHONE KEO", "visa_type": "Z",
        "visa_number": "V12345678", "entry_date": "2026-01-18", "permitted_stay_until": "2027-01-17",
        "accommodation": "rental", "arrived_at": "2026-01-19T10:00:00+08:00", "host_unit": "蒙自市某贸易公司",
        "emergency_contact": "KEO SOMSAK +85620555123"}},
    "unregistered": {"summary": "未落户人员 unregistered", "value": {
        **BASE, "category": "unregistered", "document_type": "other", "document_number": "N530012345",
        "name": "陈晨", "sex": "male", "birth_date": "2015-04-02", "reason_not_registered": "无户籍登记材料",
        "employer": {"name": "蒙自市文澜小学"}}},
}

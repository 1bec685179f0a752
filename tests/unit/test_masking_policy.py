"""The masking policy (services.kernel.base.masking) over the classification in contracts.personal (pure): any depth,
parties, audit diffs, records of another jurisdiction, key-person flags, free text, log lines."""

from __future__ import annotations

from services.kernel.base.logging import mask_personal_fields
from services.kernel.base.masking import Viewer, mask_document, mask_tree, scrub_text, visibility

ID, PHONE = "53250319900101123X", "+8613800138000"
MENGZI = lambda division: division.startswith("532503")  # noqa: E731 - a jurisdiction: 蒙自市
COLLECTOR, AGENCY = Viewer("collector", MENGZI), Viewer("agency", MENGZI)
POLICE, ADMIN = Viewer("police", MENGZI), Viewer("admin", lambda _division: False)


def dumped(value) -> str:
    return repr(value)


def test_nested_personal_fields_are_masked_wherever_they_sit():
    person = {"person_id": "P-1", "division_code": "532503001", "name": "张三丰", "document_number": ID,
              "phone": PHONE, "details": {"visa_number": "V12345678", "residence_permit_number": "53250320260001"},
              "corrections": [{"changes": {"phone": "+8613900139000"}, "old_values": {"phone": PHONE}}],
              "residences": [{"address_code": "532503001500000000000000", "owner_name": "赵强", "lessor_name": "王强"}]}
    seen = mask_tree(person, COLLECTOR)
    assert seen["name"] == "张三丰" and seen["residences"][0]["owner_name"] == "赵强"  # collectors see names
    for value in (ID, PHONE, "+8613900139000", "V12345678", "53250320260001"):
        assert value not in dumped(seen)
    assert seen["document_number"] == "5325**********123X" and seen["details"]["visa_number"] == mask_document("V12345678")
    agency = mask_tree(person, AGENCY)
    assert agency["name"] == "张**" and agency["residences"][0]["lessor_name"] == "王*"
    assert mask_tree(person, POLICE) == person and mask_tree(person, ADMIN) is person


def test_a_party_is_a_person_by_its_name_but_a_unit_keeps_its_name():
    house = {"house_id": "H-1", "division_code": "532503001",
             "owner": {"name": "李四", "document_number": ID, "phone": PHONE},
             "rentals": [{"lessor": {"unit_id": "U-1", "name": "某物业公司"}, "security_person": {"name": "王五"}}]}
    seen = mask_tree(house, AGENCY)
    assert seen["owner"] == {"name": "李*", "document_number": "5325**********123X", "phone": "+86138****8000"}
    assert seen["rentals"][0]["lessor"]["name"] == "某物业公司" and seen["rentals"][0]["security_person"]["name"] == "王*"
    unit = {"unit_id": "U-1", "name": "某宾馆", "division_code": "532503001", "legal_representative": {"name": "赵六"}}
    assert mask_tree(unit, AGENCY)["name"] == "某宾馆"
    assert mask_tree(unit, AGENCY)["legal_representative"]["name"] == "赵*"


def test_a_person_of_another_jurisdiction_inside_a_view_shows_a_masked_name_and_no_residence_profile_or_key_status():
    staff = {"unit_id": "U-1", "division_code": "532503001", "current": [
        {"person_id": "P-ours", "division_code": "532503001", "name": "张三", "key_person": True,
         "residence": {"address_code": "5325030015"}},
        {"person_id": "P-theirs", "division_code": "532502001", "name": "李四", "key_person": True, "position": "前台",
         "category": "floating", "person_status": "active", "residence": {"address_code": "5325020015"}}]}
    ours, theirs = mask_tree(staff, POLICE)["current"]
    assert ours == staff["current"][0]
    assert theirs == {"person_id": "P-theirs", "division_code": "532502001", "name": "李*", "position": "前台"}


def test_key_person_flags_reach_only_the_roles_that_may_read_key_persons():
    occupants = {"house_id": "H-1", "division_code": "532503001", "key_person_present": True,
                 "residents": [{"person_id": "P-1", "name": "张三", "key_person": True}],
                 "per_address": [{"address_code": "5325030015", "key_persons": 1}]}
    for viewer in (COLLECTOR, AGENCY):
        shown = mask_tree(occupants, viewer)
        assert "key_person" not in dumped(shown), viewer.role
    assert mask_tree(occupants, POLICE) == occupants
    assert visibility("supervisor", True).key_persons and not visibility("collector", True).key_persons


def test_an_audit_diff_is_masked_by_its_field():
    entry = {"stream_id": "person-P-1", "division_code": "532503001", "changes": [
        {"field": "phone", "old": PHONE, "new": "+8613900139000"}, {"field": "name", "old": "张三", "new": "张叁"},
        {"field": "details.visa_number", "old": None, "new": "V12345678"}, {"field": "category", "old": "a", "new": "b"}]}
    phone, name, visa, category = mask_tree(entry, AGENCY)["changes"]
    assert phone == {"field": "phone", "old": "+86138****8000", "new": "+86139****9000"}
    assert name["old"] == "张*" and visa["new"] == "V1*****78" and category == entry["changes"][3]
    house_entry = {"stream_id": "house-H-1", "division_code": "532503001",
                   "changes": [{"field": "owner", "old": None, "new": {"name": "李四", "phone": PHONE}},
                               {"field": "owner.name", "old": "李四", "new": "李五"}]}
    owner, renamed = mask_tree(house_entry, AGENCY)["changes"]
    assert owner["new"] == {"name": "李*", "phone": "+86138****8000"} and renamed["new"] == "李*"


def test_numbers_quoted_in_messages_are_masked_but_codes_are_not():
    error = {"detail": f"document number {ID} is already registered; call 13800138000",
             "address_code": "532503001411234567890125", "uscc": "915325030000000001"}
    shown = mask_tree(error, AGENCY)
    assert ID not in shown["detail"] and "13800138000" not in shown["detail"] and "5325**********123X" in shown["detail"]
    assert shown["address_code"] == error["address_code"] and shown["uscc"] == error["uscc"]
    assert scrub_text("房屋 532503001411234567890125 号", visibility("agency", True)) == "房屋 532503001411234567890125 号"


def test_log_lines_carry_no_whole_personal_value():
    line = mask_personal_fields(None, "info", {"event": f"refused {ID}", "document_number": ID, "phone": PHONE,
                                               "person": {"name": "张三"}, "unit": {"unit_id": "U", "name": "某宾馆"}})
    assert ID not in dumped(line) and PHONE not in dumped(line)
    assert line["person"]["name"] == "张*" and line["unit"]["name"] == "某宾馆"


def test_an_ingest_refusal_quoting_a_number_reaches_the_agency_masked():
    from services.kernel.base.errors import DomainRuleViolation
    from services.agency.ingest import reasons_of

    reason, = reasons_of(DomainRuleViolation("document_number", "person.duplicate",
                                             f"{ID} is already registered", f"{ID} 已登记"))
    assert ID not in reason.msg + reason.msg_zh and "5325**********123X" in reason.msg
    assert reason.rule == "person.duplicate" and reason.field == "document_number"

"""A sweep's ``division_code`` narrows the caller's jurisdiction, never widens it (issue 18)."""

from services.kernel.web.jurisdiction import narrowed


def test_no_division_keeps_the_callers_scope():
    assert narrowed({"division_code": {"$regex": "^532503"}}, None) == {"division_code": {"$regex": "^532503"}}


def test_a_division_is_added_to_the_callers_scope():
    scope = {"division_code": {"$regex": "^532503"}}
    assert narrowed(scope, "532503003") == {"$and": [scope, {"division_code": {"$regex": "^532503003"}}]}


def test_a_caller_of_every_division_gets_the_division_alone():
    assert narrowed({}, "532503003") == {"division_code": {"$regex": "^532503003"}}

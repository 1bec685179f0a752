"""Identity at registration: the document validated (contracts.identity), and sex / birth date checked against it.

Sex and birth date given alongside a GB 11643-family number must agree with it (422 naming the field), except
on a legacy import (历史数据导入), where the contradiction is kept and reported as a logic error (逻辑错误) instead:
old systems hold such records and refusing them would lose the person.
"""

from __future__ import annotations

from datetime import date

from contracts.identity import Identity, IdentityError, validate_document
from contracts.person import LogicError
from services.kernel.base.errors import DomainRuleViolation


def checked_identity(document_type: str, document_number: str, nationality: str | None, sex: str,
                     birth_date: date, today: date, legacy_import: bool = False) -> tuple[Identity, list[LogicError]]:
    """The normalised identity and the logic errors kept (legacy imports only); raises DomainRuleViolation."""
    try:
        identity = validate_document(document_type, document_number, nationality, today)
    except IdentityError as error:
        raise DomainRuleViolation(error.field, error.rule, error.message, error.message_zh) from None
    if birth_date > today:
        raise DomainRuleViolation("birth_date", "birth_date.future", f"birth date {birth_date} is in the future",
                                  f"出生日期 {birth_date} 晚于今天")
    contradictions: list[tuple[str, str, str, str]] = []
    if identity.sex is not None and identity.sex != sex:
        contradictions.append(("sex", "sex.contradicts_document", f"sex {sex} contradicts the document number "
                               f"(sex digit says {identity.sex})", "性别与证件号码不符"))
    if identity.birth_date is not None and identity.birth_date != birth_date:
        contradictions.append(("birth_date", "birth_date.contradicts_document", f"birth date {birth_date} contradicts "
                               f"the document number ({identity.birth_date})", "出生日期与证件号码不符"))
    if contradictions and not legacy_import:
        field, rule, message, message_zh = contradictions[0]
        raise DomainRuleViolation(field, rule, message, message_zh)
    return identity, [LogicError(field=f, rule=r, message=m) for f, r, m, _ in contradictions]

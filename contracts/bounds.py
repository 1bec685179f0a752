"""Bounded types for command fields (字段上限): no request can store an event Kafka cannot take.

Every str, list and dict a command accepts has a limit (a unit test walks every context's OpenAPI and fails on
one without). These are the shared shapes for fields whose values are free-form: a field name, a short free
text, a scalar value, and a corrected value (a scalar, a short list, or a small flat object such as 户籍地 or
服务处所). Over a limit the service answers 422 naming the field and the limit (pydantic's string_too_long /
too_long with ``ctx.max_length``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

MAX_TEXT = 500  #: a free-text value inside a correction or a verdict
MAX_FIELD_NAME = 64
MAX_ITEMS = 20  #: entries of a list or an object inside a value
MAX_CODE = 40  #: a record code: standard address code, division code, place code, record id

FieldName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FIELD_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Code = Annotated[str, StringConstraints(max_length=MAX_CODE)]
Scalar = Text | int | float | bool | None
#: a corrected value: a scalar, a short list of texts (曾用名), or a small flat object (户籍地, 服务处所)
CorrectedValue = Scalar | Annotated[list[Text], Field(max_length=MAX_ITEMS)] | Annotated[
    dict[FieldName, Scalar], Field(max_length=MAX_ITEMS)]
Alias = Annotated[str, StringConstraints(min_length=1, max_length=64)]

"""以业管人 read model of the unit service: its replica of the person registry (residences, status, key-person
records), joined at read time with the unit registry's employees by person id."""

from __future__ import annotations

from services.replicas.person import person_replica

UNIT_PERSONS = "unit-persons"

persons = person_replica(UNIT_PERSONS)

"""以房管人 read model of the house service: its replica of the person registry (who lives where, category,
key-person records), joined at read time with the house registry by address code and person id."""

from __future__ import annotations

from services.replicas.person import person_replica

OCCUPANTS = "house-occupants"

occupants = person_replica(OCCUPANTS)

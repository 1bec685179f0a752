"""The person registry's domain (实有人口): aggregates and rules. Pure: no database, broker or framework."""

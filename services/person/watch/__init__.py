"""重点人员 动态管控: the key-person watch (a read model per key person) and its alerts (rules, outbox, relay)."""

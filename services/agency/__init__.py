"""Agency records applied by the registry that owns them (社会化采集), outside the kernel's layers.

The ingest gate (services/ingest) forwards accepted agency records; here the owning context (person, house,
unit) runs them through its own application service and answers the agency. Contexts import it; the kernel
never does."""

"""Application service of the audit context: campaigns opened, inspected and rectified through the kernel.

Sampling needs the records as they were (the archive, read by the caller and handed in as candidates); the
decisions are the Campaign aggregate's; appending is the kernel's. The rectifier's sweep reads the archive
through ``ArchivePort`` (services.audit.views.archive.ArchivedStreams, over the live archive or an in-memory one); the
composition root (services.audit.bootstrap) hands it in.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timezone
from typing import Any, Protocol

from pymongo.errors import PyMongoError

from contracts.audit import CampaignOpened, CollectionBaselineSet, CollectionBaselinesImported
from contracts.envelope import Actor
from services.audit.commands import Inspect, OpenCampaign
from services.audit.config import audit_settings
from services.audit.domain.assignment import InspectorRef
from services.audit.domain.baseline import Baseline, BaselineImports, baseline_stream, imports_stream
from services.audit.domain.targets import Targets, targets_stream
from services.audit.domain.campaign import Campaign, campaign_stream
from services.audit.domain.rectification import correcting_event
from services.audit.domain.sampling import Candidate
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Accepted, Application
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.base.logging import get_logger

log = get_logger(__name__)

RECTIFIER = Actor(id="audit-rectifier", role="system", organisation_code="000000")


class CampaignAccepted(Accepted):
    campaign_id: str
    items: list[dict[str, Any]] = []


class ArchivePort(Protocol):
    """What the sweep reads of the archive: one stream's archived events, and which campaigns exist."""

    async def stream(self, stream_id: str) -> list[dict[str, Any]]: ...

    async def campaign_ids(self) -> list[str]: ...


class AuditApplication(Application):
    def __init__(self, store: EventStorePort, claims: ClaimsPort, archive: ArchivePort | None = None) -> None:
        super().__init__(store, claims)
        self.archive = archive

    async def open_campaign(self, command: OpenCampaign, candidates: list[Candidate], stream_types: dict[str, str],
                            sampled_as_of: datetime, ctx: CommandContext) -> CampaignAccepted:
        ctx.require_within(command.division_code)
        campaign_id = uuid.uuid4().hex[:16]
        opened = CampaignOpened(
            campaign_id=campaign_id, name=command.name, division_code=command.division_code,
            entity_types=command.entity_types, sample_size=command.sample_size,
            seed=command.seed if command.seed is not None else secrets.randbelow(2**31),
            sampled_as_of=sampled_as_of.isoformat(),
            rectification_days=command.rectification_days or audit_settings().rectification_days,
            opened_by=ctx.actor.id)
        inspectors = [InspectorRef(i.id, i.organisation_code) for i in command.inspectors]
        campaign = await self.save(Campaign.open(opened, candidates, stream_types, inspectors), ctx)
        return CampaignAccepted(stream_id=campaign.id, version=campaign.version, campaign_id=campaign_id,
                                items=campaign.state["items"])

    async def inspect(self, campaign_id: str, command: Inspect, inspected_version: int, may_stand_in: bool,
                      ctx: CommandContext, now: datetime | None = None, known_fields: set[str] | None = None) -> Accepted:
        def decide(campaign: Campaign) -> None:
            campaign.inspect(command.stream_id, ctx.actor.id, may_stand_in, inspected_version, command.verdicts,
                             command.remark, now or datetime.now(timezone.utc), known_fields)

        campaign = await self.change(Campaign, campaign_stream(campaign_id), campaign_id, None, decide, ctx)
        return Accepted(stream_id=campaign.id, version=campaign.version)

    async def campaign(self, campaign_id: str) -> Campaign:
        return await self.load(Campaign, campaign_stream(campaign_id), campaign_id)

    async def close_task(self, campaign_id: str, task: str, closing: dict[str, Any], new_value: Any) -> bool:
        """Record that ``closing`` (an archived event) corrected the task's field; idempotent."""
        closed = []

        def decide(campaign: Campaign) -> None:
            recorded = closing["recorded_at"]
            closed.append(campaign.close_task(task, closing["_id"], closing["version"], new_value,
                                              recorded.isoformat() if isinstance(recorded, datetime) else str(recorded)))

        ctx = CommandContext(actor=RECTIFIER, correlation_id=closing["correlation_id"], causation_id=closing["_id"])
        await self.change(Campaign, campaign_stream(campaign_id), campaign_id, None, decide, ctx)
        return bool(closed and closed[0])

    async def sweep(self, campaign_ids: list[str] | None = None) -> int:
        """Close every open rectification task whose field a later event changed (整改自动销号); returns closures."""
        if campaign_ids is None:
            campaign_ids = await self.archive.campaign_ids()
        closed = 0
        for campaign_id in campaign_ids:
            try:
                campaign = await self.campaign(campaign_id)
                for task in campaign.open_tasks():
                    found = correcting_event(task, await self.archive.stream(task["stream_id"]))
                    if found is not None:
                        closed += await self.close_task(campaign_id, task["task_id"], found[0], found[1])
            except ConcurrencyConflict:
                continue  # an inspection was recorded meanwhile; the next sweep sees it
            except PyMongoError as error:
                log.warning("rectification sweep failed", campaign_id=campaign_id, error=repr(error))
        return closed

    async def set_baseline(self, baseline_set: CollectionBaselineSet, ctx: CommandContext) -> Accepted:
        """采集率基数: a division's baseline for a metric, replacing the one before (inside the caller's area)."""
        ctx.require_within(baseline_set.division_code)
        stream_id = baseline_stream(baseline_set.division_code, baseline_set.metric)
        baseline = await self.find(Baseline, stream_id) or Baseline(stream_id)
        baseline.set(baseline_set)
        await self.save(baseline, ctx)
        return Accepted(stream_id=stream_id, version=baseline.version)

    async def import_baselines(self, imported: CollectionBaselinesImported, expected_version: int | None,
                               ctx: CommandContext) -> Accepted:
        """采集基数导入: a file's figures, whole, as the next version of the scope's baselines (inside the caller's
        area); ``expected_version``: 409 when another import came first."""
        return await self._next_version(BaselineImports, imports_stream(imported.division_code),
                                        imported.division_code, expected_version, ctx,
                                        lambda baselines: baselines.imported(imported))

    async def set_targets(self, division_code: str, targets: dict[str, float], remark: str,
                          expected_version: int | None, ctx: CommandContext) -> Accepted:
        """考核目标: the division's targets, the next version of its configuration (inside the caller's area)."""
        return await self._next_version(Targets, targets_stream(division_code), division_code, expected_version, ctx,
                                        lambda configured: configured.set(division_code, targets, remark))

    async def _next_version(self, kind: type, stream_id: str, division_code: str, expected_version: int | None,
                            ctx: CommandContext, decide) -> Accepted:
        ctx.require_within(division_code)
        aggregate = await self.find(kind, stream_id) or kind(stream_id)
        if expected_version is not None and expected_version != aggregate.version:
            raise ConcurrencyConflict(stream_id, expected_version, aggregate.version)
        decide(aggregate)
        await self.save(aggregate, ctx)
        return Accepted(stream_id=stream_id, version=aggregate.version)

import type { z } from 'zod';
import type { ConnectionHealth } from '../gateway/outbound-gateway.ts';
import type { ApiKeyInfo } from '../governance/api-keys.ts';
import type { AuditRecord } from '../store/audit-repository.ts';
import type { CanonicalEventRecord } from '../store/canonical-event-repository.ts';
import type { EntityRecord } from '../store/entity-repository.ts';
import type { ExceptionRecord } from '../store/exception-repository.ts';
import type { InboxRecord } from '../store/inbox-repository.ts';
import type { RunRecord } from '../store/run-repository.ts';
import type { StepAttemptRecord, StepRecord } from '../store/step-repository.ts';
import { iso } from './schemas/common.ts';
import type {
  ApiKeyView,
  AttemptView,
  AuditView,
  CanonicalEventView,
  ConnectionView,
  EntityView,
  EventView,
  ExceptionView,
  RunFullView,
  RunView,
  StepView,
} from './schemas/records.ts';

/**
 * Pure mappers from stored records to the API's response records (`schemas/records.ts`): the
 * API's field names stay stable whatever the store calls things.
 */
export const ApiRecords = {
  toRunView(run: RunRecord): z.output<typeof RunView> {
    return {
      id: run.id,
      seq: run.seq,
      flow: run.flow,
      flowVersion: run.flowVersion,
      entityKey: run.entityKey,
      status: run.status,
      priority: run.priority,
      correlationId: run.correlationId,
      causationId: run.causationId,
      triggerEventId: run.triggerEventId,
      replayOf: run.replayOf,
      attempt: run.attempt,
      currentStep: run.currentStep,
      waitSignal: run.waitSignal,
      error: run.error
        ? { ...run.error, details: run.error.details?.map((d) => ({ ...d })) }
        : null,
      createdAt: iso(run.createdAt),
      createdAtMs: run.createdAt,
      updatedAt: iso(run.updatedAt),
      updatedAtMs: run.updatedAt,
      availableAt: iso(run.availableAt),
      availableAtMs: run.availableAt,
      startedAt: iso(run.startedAt),
      startedAtMs: run.startedAt,
      completedAt: iso(run.completedAt),
      completedAtMs: run.completedAt,
      durationMs:
        run.status === 'completed' && run.completedAt !== null
          ? run.completedAt - run.createdAt
          : null,
    };
  },

  toRunFullView(run: RunRecord): z.output<typeof RunFullView> {
    return {
      ...ApiRecords.toRunView(run),
      input: run.input ?? null,
      inputRevision: run.inputRevision,
      output: run.output ?? null,
      leaseOwner: run.leaseOwner,
      leaseExpiresAt: iso(run.leaseExpiresAt),
      leaseExpiresAtMs: run.leaseExpiresAt,
      waitDeadline: iso(run.waitDeadline),
      waitDeadlineMs: run.waitDeadline,
    };
  },

  toStepView(step: StepRecord): z.output<typeof StepView> {
    return {
      name: step.name,
      position: step.position,
      status: step.status,
      attempts: step.attempts,
      idempotencyKey: step.idempotencyKey,
      result: step.result ?? null,
      startedAt: iso(step.startedAt),
      startedAtMs: step.startedAt,
      completedAt: iso(step.completedAt),
      completedAtMs: step.completedAt,
      wakeAt: iso(step.wakeAt),
      wakeAtMs: step.wakeAt,
    };
  },

  toAttemptView(attempt: StepAttemptRecord): z.output<typeof AttemptView> {
    return {
      step: attempt.stepName,
      attempt: attempt.attempt,
      at: iso(attempt.at),
      atMs: attempt.at,
      durationMs: attempt.durationMs,
      error: { ...attempt.error, details: attempt.error.details?.map((d) => ({ ...d })) },
    };
  },

  toExceptionView(exc: ExceptionRecord): z.output<typeof ExceptionView> {
    return {
      id: exc.id,
      kind: exc.kind,
      status: exc.status,
      runId: exc.runId,
      eventSeq: exc.eventSeq,
      flow: exc.flow,
      entityKey: exc.entityKey,
      step: exc.stepName,
      errorCode: exc.errorCode,
      errorName: exc.errorName,
      message: exc.message,
      error: { ...exc.error, details: exc.error.details?.map((d) => ({ ...d })) },
      attempts: exc.attempts,
      lastInput: exc.lastInput ?? null,
      correlationId: exc.correlationId,
      createdAt: iso(exc.createdAt),
      createdAtMs: exc.createdAt,
      updatedAt: iso(exc.updatedAt),
      updatedAtMs: exc.updatedAt,
      resolution: exc.resolution && {
        action: exc.resolution.action,
        actor: exc.resolution.actor,
        at: iso(exc.resolution.at),
        atMs: exc.resolution.at,
        reason: exc.resolution.reason ?? null,
      },
    };
  },

  toCanonicalEventView(event: CanonicalEventRecord): z.output<typeof CanonicalEventView> {
    return {
      seq: event.seq,
      eventId: event.eventId,
      type: event.type,
      subject: event.subject,
      entityKey: event.entityKey,
      correlationId: event.correlationId,
      schemaVersion: event.schemaVersion,
      data: (event.data ?? null) as z.output<typeof CanonicalEventView>['data'],
      source: event.source,
      vendorEventId: event.vendorEventId,
      vendorType: event.vendorType,
      inboxEventId: event.inboxEventId,
      createdAt: iso(event.createdAt),
      createdAtMs: event.createdAt,
    };
  },

  toEventView(event: InboxRecord): z.output<typeof EventView> {
    return {
      seq: event.seq,
      eventId: event.eventId,
      source: event.source,
      sourceEventId: event.sourceEventId,
      type: event.type,
      subject: event.subject,
      entityKey: event.entityKey,
      correlationId: event.correlationId,
      causationId: event.causationId,
      status: event.status,
      attempts: event.attempts,
      error: event.error
        ? { ...event.error, details: event.error.details?.map((d) => ({ ...d })) }
        : null,
      receivedAt: iso(event.receivedAt),
      receivedAtMs: event.receivedAt,
      routedAt: iso(event.routedAt),
      routedAtMs: event.routedAt,
      envelope: event.envelope,
    };
  },

  toAuditView(entry: AuditRecord): z.output<typeof AuditView> {
    return {
      id: entry.id,
      at: iso(entry.at),
      atMs: entry.at,
      actor: entry.actor,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      details: entry.details,
    };
  },

  toEntityView(entity: EntityRecord): z.output<typeof EntityView> {
    return {
      id: entity.id,
      type: entity.type,
      version: entity.version,
      data: entity.data ?? null,
      updatedAt: iso(entity.updatedAt),
      updatedAtMs: entity.updatedAt,
      updatedBy: entity.updatedBy,
    };
  },

  toConnectionView(health: ConnectionHealth): z.output<typeof ConnectionView> {
    const { circuit, governor } = health;
    return {
      name: health.name,
      system: health.system,
      circuit: {
        state: circuit.state,
        consecutiveFailures: circuit.consecutiveFailures,
        opens: circuit.opens,
        openedAt: iso(circuit.openedAt),
        openedAtMs: circuit.openedAt,
        retryAt: iso(circuit.retryAt),
        retryAtMs: circuit.retryAt,
      },
      governor: {
        ratePerSecond: governor.ratePerSecond,
        maxConcurrent: governor.maxConcurrent,
        inFlight: governor.inFlight,
        queued: { ...governor.queued },
        pausedUntil: iso(governor.pausedUntil),
        pausedUntilMs: governor.pausedUntil,
        granted: governor.granted,
      },
      reportedUsage: health.reportedUsage && {
        used: health.reportedUsage.used,
        limit: health.reportedUsage.limit,
        at: iso(health.reportedUsage.at),
        atMs: health.reportedUsage.at,
      },
      calls: health.calls,
      failures: health.failures,
      lastError: health.lastError && {
        code: health.lastError.code,
        message: health.lastError.message,
        at: iso(health.lastError.at),
        atMs: health.lastError.at,
      },
    };
  },

  toApiKeyView(key: ApiKeyInfo): z.output<typeof ApiKeyView> {
    const created = key.bootstrap ? null : key.createdAt;
    return {
      id: key.id,
      name: key.name,
      role: key.role,
      createdAt: iso(created),
      createdAtMs: created,
      createdBy: key.createdBy,
      lastUsedAt: iso(key.lastUsedAt),
      lastUsedAtMs: key.lastUsedAt,
      revokedAt: iso(key.revokedAt),
      revokedAtMs: key.revokedAt,
      revokedBy: key.revokedBy,
      expiresAt: iso(key.expiresAt),
      expiresAtMs: key.expiresAt,
      scopes: key.scopes,
      rotatedAt: iso(key.rotatedAt),
      rotatedAtMs: key.rotatedAt,
      previousSecretExpiresAt: iso(key.previousSecretExpiresAt),
      previousSecretExpiresAtMs: key.previousSecretExpiresAt,
      bootstrap: key.bootstrap,
    };
  },
};

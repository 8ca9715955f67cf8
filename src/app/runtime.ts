import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/load-config.ts';
import { ROLES, type Role } from '../connectors/definition.ts';
import { connectorFor } from '../connectors/registry.ts';
import type {
  BillingSystem,
  Connector,
  CrmSystem,
  ErpSystem,
  PollSource,
  WebhookSource,
} from '../connectors/ports.ts';
import { systemClock, type Clock } from '../engine/clock.ts';
import { Engine, type EngineOptions } from '../engine/engine.ts';
import { createLogger } from '../engine/logger.ts';
import type { FlowDeps, FlowRules } from '../flows/deps.ts';
import { createFlows } from '../flows/index.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { EntityKeyResolver } from '../ingest/entity-keys.ts';
import { PollRunner } from '../ingest/poll-runner.ts';
import { NatsUsageIngest } from '../ingest/nats-usage.ts';
import { normaliseWith } from './normalise.ts';
import { registerWebhookRoutes } from '../ingest/webhook-routes.ts';
import type { ReconRunRecord } from '../store/recon-run-repository.ts';
import type { Store } from '../store/store.ts';
import { storeServices } from './store-services.ts';
import { crmWriteLedger, DEFAULT_CRM_WRITE_TTL_MS } from './crm-write-ledger.ts';
import { AlertMonitor } from '../observability/alerts.ts';
import { resolveApprovalPolicy } from '../governance/approval-policy.ts';
import { Approvals } from '../governance/approvals.ts';
import { AuditCheckpointer } from '../governance/audit-checkpointer.ts';
import { StoreBusinessViews } from './business-views.ts';
import { createApiServer } from '../api/create-api-server.ts';
import type { ApiOptions } from '../api/api-options.ts';
import { UsageService } from './usage-service.ts';
import { closeJson, closeReadiness, type CloseReadinessOptions } from './close-readiness.ts';
import { ReconRunner, type ReconRunOutcome } from './recon-runs.ts';
import { repairDiscrepancies, type RepairOutcome } from './recon-repair.ts';
import { ReconSchedule, reconIntervalMs } from './recon-schedule.ts';

/** The connectors a runtime runs with, already built on its gateway. */
export interface RuntimeConnectors {
  crm: Connector<CrmSystem>;
  billing: Connector<BillingSystem>;
  erp: Connector<ErpSystem>;
}

export interface RuntimeOptions {
  store: Store;
  gateway: OutboundGateway;
  connectors: RuntimeConnectors;
  logger?: Logger;
  clock?: Clock;
  /** Engine settings (concurrency, lease, polling, retry jitter). */
  engine?: Partial<Omit<EngineOptions, 'store' | 'flows' | 'clock' | 'logger'>>;
  /** How often pollers run when idle (default from each connection's settings, else 1 s). */
  pollIntervalMs?: number;
  /**
   * How often a webhook catch-up poller runs when its connection receives webhooks (default from
   * each connection's `catchUpPollIntervalMs`, else 10 s; never more often than its feed interval).
   */
  catchUpPollIntervalMs?: number;
  /** API settings (bootstrap keys, rate limits); `false` serves webhooks only. */
  api?: ApiOptions | false;
}

/**
 * Everything `revsync start` runs in one process: the store, the outbound gateway and the
 * connectors, the engine with the enabled flows, pollers, the usage ledger, and one HTTP server
 * for webhooks (and the API and dashboard when configured).
 */
export class Runtime {
  readonly config: ResolvedConfig;
  readonly store: Store;
  readonly gateway: OutboundGateway;
  readonly connectors: RuntimeConnectors;
  readonly engine: Engine;
  readonly usage: UsageService;
  readonly polls: PollRunner;
  readonly keys: EntityKeyResolver;
  readonly log: Logger;
  readonly clock: Clock;
  readonly rules: FlowRules;
  http: FastifyInstance | undefined;
  alerts: AlertMonitor | undefined;
  /** Signs audit checkpoints when the configuration has an `audit` section. */
  checkpoints: AuditCheckpointer | undefined;
  /** Consumes usage from NATS JetStream when the configuration sets `usage.source`. */
  natsUsage: NatsUsageIngest | undefined;
  /** Stored reconciliation (the API's `POST /v1/recon/runs` and the schedule). */
  readonly recon: ReconRunner;
  /** Scheduled reconciliation when the configuration has a `recon` section. */
  reconSchedule: ReconSchedule | undefined;
  #url: string | undefined;
  readonly #options: RuntimeOptions;

  constructor(config: ResolvedConfig, options: RuntimeOptions) {
    this.config = config;
    this.#options = options;
    this.store = options.store;
    this.gateway = options.gateway;
    this.connectors = options.connectors;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? createLogger();
    this.rules = rulesOf(config);
    this.engine = new Engine({
      store: this.store,
      clock: this.clock,
      logger: this.log,
      normalise: normaliseWith(),
      ...options.engine,
    });
    this.usage = new UsageService(
      this.store,
      this.engine.inbox,
      this.clock,
      this.rules.usageSources,
    );
    const deps: FlowDeps = {
      crm: this.connectors.crm.port,
      billing: this.connectors.billing.port,
      erp: this.connectors.erp.port,
      ...storeServices(this.store, this.clock),
      usage: this.usage,
      rules: this.rules,
      crmWrites: crmWriteLedger(
        this.store,
        this.clock,
        this.connectors.crm.port.system,
        config.crmWriteback?.ttlSeconds !== undefined
          ? config.crmWriteback.ttlSeconds * 1000
          : DEFAULT_CRM_WRITE_TTL_MS,
      ),
    };
    for (const flow of createFlows(deps, config.enabledFlows)) this.engine.register(flow);
    this.recon = new ReconRunner({
      store: this.store,
      systems: {
        billing: this.connectors.billing.port,
        erp: this.connectors.erp.port,
        crm: this.connectors.crm.port,
      },
      clock: this.clock,
      logger: this.log,
      ...(config.recon?.syncStart !== undefined && { syncStart: config.recon.syncStart }),
      ...(config.recon?.tolerance !== undefined && { tolerance: config.recon.tolerance }),
    });
    this.keys = new EntityKeyResolver(this.store);
    const intervals = pollIntervals(config, this.connectors, options);
    this.polls = new PollRunner([...intervals.keys()], {
      inbox: this.engine.inbox,
      keys: this.keys,
      logger: this.log,
      intervalOf: (source) => intervals.get(source),
    });
  }

  /** The business views on this runtime's store, knowing which system plays which role. */
  views(): StoreBusinessViews {
    return new StoreBusinessViews(this.store, () => this.clock.now(), systemsOf(this.connectors));
  }

  /** Close readiness of a period on this runtime's systems and store (read only). */
  async closeStatus(options: CloseReadinessOptions): Promise<ReturnType<typeof closeJson>> {
    const status = await closeReadiness(
      {
        billing: this.connectors.billing.port,
        erp: this.connectors.erp.port,
        store: this.store,
        usage: this.usage,
        subsidiaries: Object.values(this.config.regions).map((r) => r.subsidiary),
      },
      options,
    );
    return closeJson(status);
  }

  /**
   * Starts a stored reconciliation of one period (`POST /v1/recon/runs`): answers its run,
   * `running`, and finishes it in the background (a failure is stored on the run and logged).
   */
  async startRecon(request: {
    period: string;
    subsidiary?: string;
    actor: string;
    repair?: boolean;
  }): Promise<ReconRunRecord[]> {
    const { runs, done } = await this.recon.begin({
      trigger: 'api',
      actor: request.actor,
      periods: [request.period],
      ...(request.subsidiary !== undefined && { subsidiary: request.subsidiary }),
    });
    const finished = request.repair
      ? done.then((outcome) => this.#repair(outcome, request.actor))
      : done;
    finished.catch((caught: unknown) =>
      this.log.error({ err: caught, period: request.period }, 'reconciliation repair failed'),
    );
    return runs;
  }

  /**
   * Repairs what a stored reconciliation found, as `revsync recon run --repair` does, in the
   * name of the API key that asked (so a repair above the approval threshold becomes its
   * change request).
   */
  async #repair(outcome: ReconRunOutcome, actor: string): Promise<RepairOutcome[]> {
    const out: RepairOutcome[] = [];
    const approvals = new Approvals(this.store, this.engine.exceptions, {
      policy: resolveApprovalPolicy(this.config.approvals),
      now: () => this.clock.now(),
    });
    for (const [i, report] of outcome.reports.entries()) {
      const reconRunId = outcome.runs[i]?.id;
      out.push(
        ...(await repairDiscrepancies(
          {
            store: this.store,
            inbox: this.engine.inbox,
            billing: this.connectors.billing.port,
            clock: this.clock,
            approvals,
          },
          report.discrepancies,
          outcome.billingDocuments,
          { actor, ...(reconRunId !== undefined && { reconRunId }) },
        )),
      );
    }
    return out;
  }

  /** Webhook sources by path segment (`/webhooks/<system>`). */
  webhookSources(): Record<string, WebhookSource> {
    const out: Record<string, WebhookSource> = {};
    for (const c of Object.values(this.connectors)) if (c.webhooks) out[c.system] = c.webhooks;
    return out;
  }

  /** Starts the HTTP server (port from config, 0 = any), the engine and the pollers. */
  async start(listen: { host?: string; port?: number } = {}): Promise<string> {
    this.http =
      this.#options.api === false
        ? Fastify({ logger: false })
        : await createApiServer(
            {
              store: this.store,
              engine: this.engine,
              gateway: this.gateway,
              usage: {
                record: (records) => this.usage.record(records),
                closePeriod: async (manifest) => void (await this.usage.closePeriod(manifest)),
              },
              views: this.views(),
              close: { status: (query) => this.closeStatus(query) },
              recon: { start: (request) => this.startRecon(request) },
              systems: ROLES.map((role) => ({
                role,
                system: this.connectors[role].system,
                displayName:
                  connectorFor(this.connectors[role].system)?.displayName ??
                  this.connectors[role].system,
              })),
              clock: this.clock,
              logger: this.log,
              approvalPolicy: resolveApprovalPolicy(this.config.approvals),
            },
            this.#options.api ?? {},
          );
    await registerWebhookRoutes(this.http, this.webhookSources(), {
      inbox: this.engine.inbox,
      keys: this.keys,
    });
    const host = listen.host ?? this.config.server?.host ?? '127.0.0.1';
    const port = listen.port ?? this.config.server?.port ?? 4000;
    this.#url = await this.http.listen({ host, port });
    await this.engine.start();
    await this.#resumeApprovedChanges();
    this.polls.start();
    await this.#startNatsUsage();
    if (this.config.alerts) {
      this.alerts = new AlertMonitor({
        store: this.store,
        views: this.views(),
        gateway: this.gateway,
        rules: this.config.alerts.rules,
        webhookUrl: this.config.alerts.webhookUrl,
        clock: this.clock,
        logger: this.log,
        dashboardUrl: `${this.#url}/`,
      });
      this.alerts.start();
    }
    // Runs a stopped process left `running` (schedule, API) never finish: say so.
    await this.store.reconRuns.failInterrupted(this.store.db, this.clock.now(), this.clock.now(), [
      'schedule',
      'api',
    ]);
    if (this.config.recon) {
      this.reconSchedule = new ReconSchedule({
        runner: this.recon,
        everyMs: reconIntervalMs(this.config.recon.every),
        periods: this.config.recon.periods,
        ...(this.config.recon.openWindow !== undefined && {
          openWindow: this.config.recon.openWindow,
        }),
        lockedPeriods: async () =>
          (await this.connectors.erp.port.lockedPeriods?.({ fresh: true })) ?? [],
        clock: this.clock,
        logger: this.log,
        ...(this.config.recon.subsidiary !== undefined && {
          subsidiary: this.config.recon.subsidiary,
        }),
      });
      this.reconSchedule.start();
    }
    if (this.config.audit) {
      this.checkpoints = new AuditCheckpointer({
        store: this.store,
        key: this.config.audit.key,
        every: this.config.audit.checkpointEvery,
        clock: this.clock,
        logger: this.log,
        ...(this.config.audit.checkpointDir !== undefined && {
          dir: this.config.audit.checkpointDir,
        }),
      });
      this.checkpoints.start();
    }
    this.log.info(
      { url: this.#url, flows: this.engine.flows().map((f) => f.name) },
      'revsync started',
    );
    return this.#url;
  }

  get url(): string {
    if (!this.#url) throw new Error('the runtime has not started');
    return this.#url;
  }

  /** Stops taking work, lets runs reach a checkpoint, and closes everything. */
  /**
   * Approved change requests whose execution a crash cut short run now (or are marked done when
   * their action had already committed); a failure here is logged, never fatal to the start.
   */
  async #resumeApprovedChanges(): Promise<void> {
    const approvals = new Approvals(this.store, this.engine.exceptions, {
      policy: resolveApprovalPolicy(this.config.approvals),
      now: () => this.clock.now(),
    });
    try {
      const resumed = await approvals.resumeApproved();
      if (resumed > 0)
        this.log.info({ resumed }, 'finished approved change requests left by a crash');
    } catch (caught) {
      this.log.error({ err: caught }, 'could not finish approved change requests');
    }
  }

  /** The JetStream usage consumer, when `usage.source` names a NATS server. */
  async #startNatsUsage(): Promise<void> {
    const usage = this.config.usage;
    if (usage?.source === undefined || usage.stream === undefined) return;
    const ingest = new NatsUsageIngest({
      store: this.store,
      logger: this.log,
      now: () => this.clock.now(),
      servers: usage.source,
      stream: usage.stream,
      ...(usage.subject !== undefined && { subject: usage.subject }),
      ...(usage.consumer !== undefined && { consumer: usage.consumer }),
      ...(usage.batchSize !== undefined && { batchSize: usage.batchSize }),
    });
    await ingest.start();
    this.natsUsage = ingest;
  }

  async stop(): Promise<void> {
    await this.reconSchedule?.stop();
    await this.recon.idle();
    await this.alerts?.stop();
    await this.checkpoints?.stop();
    await this.polls.stop();
    // Drains: what it fetched is stored and acknowledged before the store closes.
    await this.natsUsage?.stop();
    await this.http?.close();
    await this.engine.stop();
    for (const c of Object.values(this.connectors)) await c.close?.();
    await this.store.close();
  }
}

/** Which system plays each role. */
export function systemsOf(connectors: RuntimeConnectors): Record<Role, string> {
  return {
    crm: connectors.crm.system,
    billing: connectors.billing.system,
    erp: connectors.erp.system,
  };
}

/**
 * Every poller with its pause when idle: the runtime's `pollIntervalMs`, else its connection's,
 * else 1 s. A webhook catch-up poller (`catchUp`) of a connection that receives webhooks rests
 * longer — the runtime's `catchUpPollIntervalMs`, else its connection's, else 10 s — because
 * the webhooks deliver the same events; it only finds deliveries that were missed.
 */
function pollIntervals(
  config: ResolvedConfig,
  connectors: RuntimeConnectors,
  options: Pick<RuntimeOptions, 'pollIntervalMs' | 'catchUpPollIntervalMs'>,
): Map<PollSource, number> {
  const intervals = new Map<PollSource, number>();
  for (const role of ROLES) {
    const connector = connectors[role];
    const settings = config.connections[role];
    const feed = options.pollIntervalMs ?? settings?.pollIntervalMs ?? 1_000;
    const catchUp = Math.max(
      feed,
      options.catchUpPollIntervalMs ?? settings?.catchUpPollIntervalMs ?? 10_000,
    );
    for (const source of connector.pollers) {
      const webhookCatchUp = source.catchUp === true && connector.webhooks !== undefined;
      intervals.set(source, webhookCatchUp ? catchUp : feed);
    }
  }
  return intervals;
}

/** The business rules flows use, from configuration (with the documented defaults). */
export function rulesOf(config: ResolvedConfig): FlowRules {
  return {
    regions: config.regions,
    defaultRegion: config.defaultRegion,
    ownership: config.ownership ?? {},
    matchRules: config.matchRules?.customer ?? [
      ['taxId'],
      ['domain'],
      ['normalizedName', 'country'],
    ],
    usageSources: config.usage?.requiredSources ?? [],
    ...(config.usage?.recheckSeconds !== undefined && {
      usageRecheckMs: config.usage.recheckSeconds * 1000,
    }),
  };
}

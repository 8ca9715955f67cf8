import type { Logger } from 'pino';
import type { BusinessViews } from './business-views.ts';
import type { Clock } from '../engine/clock.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import type { DiscrepancyClass } from '../recon/report.ts';
import type { Store } from '../store/store.ts';
import type { ReconItemRecord, ReconRunRecord } from '../store/recon-run-repository.ts';

/** Business conditions worth waking someone for. */
export type AlertRule =
  | { kind: 'invoice_not_posted'; afterMinutes: number }
  | { kind: 'exception_queue_growth'; threshold: number; windowMinutes: number }
  | { kind: 'circuit_open'; afterMinutes: number }
  | { kind: 'approval_waiting'; afterMinutes: number }
  | {
      kind: 'recon_discrepancies';
      classes?: DiscrepancyClass[];
      threshold?: number;
      /** Count only discrepancies every stored run of the period has found for this long. */
      olderThanMinutes?: number;
    };

/** One firing condition. `key` identifies it, so it is sent once while it lasts. */
export interface Alert {
  key: string;
  rule: AlertRule['kind'];
  title: string;
  text: string;
  fields: Record<string, string>;
}

export interface AlertMonitorOptions {
  store: Store;
  views: BusinessViews;
  gateway?: OutboundGateway;
  rules: AlertRule[];
  webhookUrl: string;
  clock: Clock;
  logger: Logger;
  /** How often conditions are evaluated (default 30 s). */
  intervalMs?: number;
  /** Link to the dashboard in messages. */
  dashboardUrl?: string;
}

/**
 * Evaluates alert rules on an interval and delivers each newly firing condition to a webhook as
 * Slack-compatible JSON (`text` plus `blocks`), once while it lasts; a condition that clears can
 * fire again later. Delivery is retried; an undelivered alert is tried again at the next
 * evaluation. What was sent is kept in memory: after a restart, conditions still firing are sent
 * once more.
 */
export class AlertMonitor {
  readonly #o: AlertMonitorOptions;
  readonly #sent = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Alert[]> | undefined;

  constructor(options: AlertMonitorOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(
      () => void this.evaluate().catch(() => undefined),
      this.#o.intervalMs ?? 30_000,
    );
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Evaluates every rule now and sends what newly fires; returns the alerts sent. */
  async evaluate(): Promise<Alert[]> {
    this.#running = this.#evaluate();
    return this.#running;
  }

  async #evaluate(): Promise<Alert[]> {
    const firing: Alert[] = [];
    for (const rule of this.#o.rules) firing.push(...(await this.#check(rule)));
    const keys = new Set(firing.map((a) => a.key));
    for (const key of this.#sent) if (!keys.has(key)) this.#sent.delete(key);
    const sent: Alert[] = [];
    for (const alert of firing) {
      if (this.#sent.has(alert.key)) continue;
      if (await this.#deliver(alert)) {
        this.#sent.add(alert.key);
        sent.push(alert);
      }
    }
    return sent;
  }

  async #check(rule: AlertRule): Promise<Alert[]> {
    const now = this.#o.clock.now();
    switch (rule.kind) {
      case 'invoice_not_posted': {
        const { rows } = await this.#o.views.view('invoices-awaiting-erp', { limit: '1000' });
        return rows
          .filter((r) => Number(r.minutes) >= rule.afterMinutes)
          .map((r) => ({
            key: `invoice_not_posted:${String(r.invoice)}`,
            rule: rule.kind,
            title: `Invoice ${String(r.invoice)} not in the ERP after ${String(r.minutes)} min`,
            text: `Billing invoice ${String(r.invoice)} was finalized ${String(r.minutes)} minutes ago and has no ERP invoice yet (threshold ${rule.afterMinutes} min). Run status: ${String(r.status)}${r.reason ? ` — ${String(r.reason)}` : ''}.`,
            fields: {
              invoice: String(r.invoice),
              customer: String(r.customer ?? ''),
              status: String(r.status),
              minutes: String(r.minutes),
            },
          }));
      }
      case 'exception_queue_growth': {
        const since = now - rule.windowMinutes * 60_000;
        const opened = (
          await this.#o.store.exceptions.list(this.#o.store.db, { limit: 10_000 })
        ).filter((e) => e.createdAt >= since);
        if (opened.length < rule.threshold) return [];
        const window = Math.floor(now / (rule.windowMinutes * 60_000));
        return [
          {
            key: `exception_queue_growth:${window}`,
            rule: rule.kind,
            title: `${opened.length} exceptions in ${rule.windowMinutes} min`,
            text: `${opened.length} runs or events went to the exception queue in the last ${rule.windowMinutes} minutes (threshold ${rule.threshold}). Most recent: ${opened[0]?.flow ?? 'event'} — ${opened[0]?.message ?? ''}`,
            fields: { count: String(opened.length), windowMinutes: String(rule.windowMinutes) },
          },
        ];
      }
      case 'circuit_open': {
        const out: Alert[] = [];
        for (const connection of this.#o.gateway?.connections() ?? []) {
          const circuit = connection.health().circuit;
          if (circuit.state === 'closed' || circuit.openedAt === null) continue;
          const minutes = (now - circuit.openedAt) / 60_000;
          if (minutes < rule.afterMinutes) continue;
          out.push({
            key: `circuit_open:${connection.name}:${circuit.openedAt}`,
            rule: rule.kind,
            title: `${connection.name} unavailable for ${Math.round(minutes)} min`,
            text: `The circuit to ${connection.name} (${connection.system}) has been open for ${Math.round(minutes)} minutes (threshold ${rule.afterMinutes} min); its runs are waiting and will resume when it recovers.`,
            fields: {
              connection: connection.name,
              system: connection.system,
              state: circuit.state,
            },
          });
        }
        return out;
      }
      case 'approval_waiting':
        return this.#approvalsWaiting(rule, now);
      case 'recon_discrepancies':
        return this.#reconDiscrepancies(rule, now);
    }
  }

  /**
   * The latest stored reconciliation of each period with more than `threshold` discrepancies of
   * the rule's classes: one alert per period while it lasts (a later clean run clears it).
   */
  async #reconDiscrepancies(
    rule: { classes?: DiscrepancyClass[]; threshold?: number; olderThanMinutes?: number },
    now: number,
  ): Promise<Alert[]> {
    const threshold = rule.threshold ?? 0;
    const latest = await this.#o.store.reconRuns.latestPerPeriod(this.#o.store.db);
    const out: Alert[] = [];
    const wanted = (cls: string) =>
      rule.classes === undefined || rule.classes.includes(cls as DiscrepancyClass);
    for (const run of latest) {
      let counted = Object.entries(run.summary).filter(([cls, n]) => n > 0 && wanted(cls));
      if (rule.olderThanMinutes !== undefined && counted.length > 0) {
        counted = await this.#lastingDiscrepancies(
          run,
          rule.olderThanMinutes * 60_000,
          now,
          wanted,
        );
      }
      const count = counted.reduce((sum, [, n]) => sum + n, 0);
      if (count <= threshold) continue;
      const classes = counted.map(([cls, n]) => `${cls} ${n}`).join(', ');
      out.push({
        key: `recon_discrepancies:${run.period}:${run.subsidiary ?? '*'}`,
        rule: 'recon_discrepancies',
        title: `${count} reconciliation discrepancies in ${run.period}${rule.olderThanMinutes !== undefined ? ` for ${rule.olderThanMinutes} min or more` : ''}`,
        text: `The latest reconciliation of ${run.period}${run.subsidiary ? ` (subsidiary ${run.subsidiary})` : ''}, run ${run.id} finished ${new Date(run.finishedAt ?? run.startedAt).toISOString()}, found ${classes} (threshold ${threshold}). Its CSV: /v1/recon/runs/${run.id}/discrepancies.csv`,
        fields: {
          period: run.period,
          run: run.id,
          count: String(count),
          classes,
        },
      });
    }
    return out;
  }

  /**
   * Per class, the discrepancies of `run` that every finished run of its period has found since
   * at least `ageMs` ago (by class and document ids): the stored runs are walked back from the
   * newest until one started that long ago; a discrepancy missing from any of them is younger.
   */
  async #lastingDiscrepancies(
    run: ReconRunRecord,
    ageMs: number,
    now: number,
    wanted: (cls: string) => boolean,
  ): Promise<[string, number][]> {
    const { store } = this.#o;
    const keyOf = (i: ReconItemRecord) => `${i.class}\u0000${i.billingId}\u0000${i.erpId}`;
    const itemsOf = (id: string) =>
      store.reconRuns.items(store.db, id, { kind: 'discrepancy', limit: 100_000 });
    let lasting = new Map(
      (await itemsOf(run.id)).filter((i) => i.class && wanted(i.class)).map((i) => [keyOf(i), i]),
    );
    let oldEnough = run.startedAt <= now - ageMs;
    const earlier = await store.reconRuns.list(store.db, {
      period: run.period,
      status: ['clean', 'discrepancies'],
      startedBefore: run.startedAt,
      limit: 500,
    });
    for (const before of earlier) {
      if (oldEnough || lasting.size === 0) break;
      if ((before.subsidiary ?? null) !== (run.subsidiary ?? null)) continue;
      const seen = new Set((await itemsOf(before.id)).map(keyOf));
      lasting = new Map([...lasting].filter(([key]) => seen.has(key)));
      oldEnough = before.startedAt <= now - ageMs;
    }
    if (!oldEnough) return [];
    const perClass = new Map<string, number>();
    for (const item of lasting.values())
      perClass.set(item.class!, (perClass.get(item.class!) ?? 0) + 1);
    return [...perClass];
  }

  async #approvalsWaiting(rule: { afterMinutes: number }, now: number): Promise<Alert[]> {
    const pending = await this.#o.store.changeRequests.list(this.#o.store.db, {
      status: 'pending',
      limit: 1000,
    });
    return pending
      .filter((r) => r.expiresAt > now && now - r.requestedAt >= rule.afterMinutes * 60_000)
      .map((r) => {
        const minutes = Math.floor((now - r.requestedAt) / 60_000);
        return {
          key: `approval_waiting:${r.id}`,
          rule: 'approval_waiting' as const,
          title: `Change request ${r.id} waiting for approval for ${minutes} min`,
          text: `${r.requestedBy} asked for ${r.action} on ${r.targetType} ${r.targetId}${r.amountMinor !== null ? ` (${r.amountMinor} minor units${r.currency ? ` ${r.currency}` : ''} at stake)` : ''} ${minutes} minutes ago (threshold ${rule.afterMinutes} min); it expires at ${new Date(r.expiresAt).toISOString()}. An approver other than ${r.requestedBy} must approve or reject it.`,
          fields: {
            request: r.id,
            action: r.action,
            target: `${r.targetType}:${r.targetId}`,
            requestedBy: r.requestedBy,
            minutes: String(minutes),
          },
        };
      });
  }

  async #deliver(alert: Alert): Promise<boolean> {
    const body = JSON.stringify(toSlackMessage(alert, this.#o.dashboardUrl));
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await fetch(this.#o.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) {
          this.#o.logger.info({ alert: alert.key }, 'alert delivered');
          return true;
        }
        this.#o.logger.warn(
          { alert: alert.key, status: res.status },
          'alert webhook refused the message',
        );
      } catch (caught) {
        this.#o.logger.warn({ alert: alert.key, err: caught }, 'alert webhook unreachable');
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
    return false;
  }
}

/** A Slack-compatible incoming-webhook message (also accepted by Mattermost, Rocket.Chat, Teams' Slack shim). */
export function toSlackMessage(alert: Alert, dashboardUrl?: string) {
  return {
    text: `:rotating_light: ${alert.title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: alert.title } },
      { type: 'section', text: { type: 'mrkdwn', text: alert.text } },
      {
        type: 'section',
        fields: Object.entries(alert.fields).map(([k, v]) => ({
          type: 'mrkdwn',
          text: `*${k}*\n${v}`,
        })),
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `revsync alert \`${alert.rule}\`${dashboardUrl ? ` · <${dashboardUrl}|open the dashboard>` : ''}`,
          },
        ],
      },
    ],
  };
}

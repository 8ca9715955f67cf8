import type { Clock } from '../kit/index.ts';
import type { ApiRoute, SalesforceContext } from './api-router.ts';

const HOUR = 3_600_000;

/**
 * The org's daily API request allowance, counted over a rolling 24 hours of emulator time
 * (hourly buckets), as Salesforce counts it. Advancing the emulator clock a day frees it.
 */
export class ApiUsage {
  private buckets = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
  ) {}

  /** Requests counted in the last 24 hours. */
  used(): number {
    const hour = Math.floor(this.clock.now() / HOUR);
    let total = 0;
    for (const [h, n] of this.buckets) {
      if (h <= hour - 24) this.buckets.delete(h);
      else if (h <= hour) total += n;
    }
    return total;
  }

  /** Counts one request; false (not counted) once the allowance is used up. */
  take(): boolean {
    if (this.used() >= this.limit) return false;
    const hour = Math.floor(this.clock.now() / HOUR);
    this.buckets.set(hour, (this.buckets.get(hour) ?? 0) + 1);
    return true;
  }

  /** `api-usage=N/M` for the `Sforce-Limit-Info` header. */
  header(): string {
    return `api-usage=${this.used()}/${this.limit}`;
  }

  /** Forgets every counted request. */
  reset(): void {
    this.buckets.clear();
  }
}

/** `GET /limits`. */
export function limitsRoutes(ctx: SalesforceContext): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/limits',
      handler: () => {
        const used = ctx.usage.used();
        const records = Object.values(ctx.state.dump()).reduce((n, rs) => n + rs.length, 0);
        const storageMb = Math.ceil((records * 2) / 1024); // Salesforce counts ~2 KB per record
        return {
          status: 200,
          body: {
            DailyApiRequests: {
              Max: ctx.usage.limit,
              Remaining: Math.max(0, ctx.usage.limit - used),
            },
            DataStorageMB: { Max: 1024, Remaining: Math.max(0, 1024 - storageMb) },
            FileStorageMB: { Max: 1024, Remaining: 1024 },
            DailyStandardVolumePlatformEvents: { Max: 10000, Remaining: 10000 },
          },
        };
      },
    },
  ];
}

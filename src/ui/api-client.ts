import type {
  BulkRetryResult,
  CloseStatus,
  ChangeRequest,
  WaitsForApproval,
  Connection,
  SystemInfo,
  EntityDetail,
  ExceptionDetail,
  ExceptionRecord,
  MetricsSummary,
  ReconRun,
  ReconRunDetail,
  ReconRunList,
  Run,
  RunDetail,
  RunList,
  ViewInfo,
  ViewResult,
  Whoami,
} from './api-types.ts';

/** A failed API call: the API's `{error:{code, message, details}}`, or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: { path?: string; message: string }[];

  constructor(
    status: number,
    code: string,
    message: string,
    details: { path?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type Query = Record<string, string | number | undefined>;

/** What the client does when the key stops working (revoked while signed in). */
export type UnauthorizedHandler = (error: ApiError) => void;

/**
 * The dashboard's client of the revsync API: one method per endpoint it uses, the API key as
 * `Authorization: Bearer`, errors as {@link ApiError}. A `429` is retried after its
 * `Retry-After` (twice at most), so a burst of live refreshes slows down instead of failing.
 */
export class ApiClient {
  readonly #key: string;
  readonly #onUnauthorized: UnauthorizedHandler | undefined;

  constructor(key: string, onUnauthorized?: UnauthorizedHandler) {
    this.#key = key;
    this.#onUnauthorized = onUnauthorized;
  }

  /** The key's headers, for requests the client does not wrap (the event stream). */
  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#key}` };
  }

  whoami(): Promise<Whoami> {
    return this.#get('/v1/whoami');
  }
  metricsSummary(window: string, bucket: string): Promise<MetricsSummary> {
    return this.#get('/v1/metrics/summary', { window, bucket });
  }
  views(): Promise<{ views: ViewInfo[] }> {
    return this.#get('/v1/views');
  }
  view(name: string): Promise<ViewResult> {
    return this.#get(`/v1/views/${encodeURIComponent(name)}`);
  }
  close(period: string, subsidiary?: string): Promise<CloseStatus> {
    return this.#get('/v1/close', { period, ...(subsidiary ? { subsidiary } : {}) });
  }
  reconRuns(query: Query = {}): Promise<ReconRunList> {
    return this.#get('/v1/recon/runs', query);
  }
  reconRun(id: string): Promise<ReconRunDetail> {
    return this.#get(`/v1/recon/runs/${encodeURIComponent(id)}`);
  }
  /** Starts a reconciliation of the period now (operator); answers the run, `running`. */
  /** Reconciles a period now; with `repair`, also starts the safe fixes of what it finds. */
  startReconRun(period: string, subsidiary?: string, repair?: boolean): Promise<ReconRun> {
    return this.#send('POST', '/v1/recon/runs', {
      period,
      ...(subsidiary ? { subsidiary } : {}),
      ...(repair ? { repair: true } : {}),
    });
  }
  /** The URL of a run's CSV export (it needs the key: fetch it with {@link reconCsv}). */
  reconCsvUrl(id: string): string {
    return `/v1/recon/runs/${encodeURIComponent(id)}/discrepancies.csv`;
  }
  /** A run's discrepancies as CSV, with the file name the server suggests. */
  async reconCsv(id: string): Promise<{ blob: Blob; filename: string }> {
    let response: Response;
    try {
      response = await fetch(this.reconCsvUrl(id), {
        headers: { ...this.headers, accept: 'text/csv' },
      });
    } catch (caught) {
      throw new ApiError(
        0,
        'network',
        `cannot reach the revsync API (${caught instanceof Error ? caught.message : String(caught)})`,
      );
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (error.status === 401) this.#onUnauthorized?.(error);
      throw error;
    }
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `recon-${id}.csv`;
    return { blob: await response.blob(), filename };
  }
  systems(): Promise<{ systems: SystemInfo[] }> {
    return this.#get('/v1/systems');
  }
  connections(): Promise<{ connections: Connection[] }> {
    return this.#get('/v1/connections');
  }
  runs(query: Query): Promise<RunList> {
    return this.#get('/v1/runs', query);
  }
  run(id: string): Promise<RunDetail> {
    return this.#get(`/v1/runs/${encodeURIComponent(id)}`);
  }
  replayRun(id: string): Promise<{ run: Run } | WaitsForApproval> {
    return this.#send('POST', `/v1/runs/${encodeURIComponent(id)}/replay`);
  }
  exceptions(query: Query): Promise<{ exceptions: ExceptionRecord[] }> {
    return this.#get('/v1/exceptions', query);
  }
  exception(id: string): Promise<ExceptionDetail> {
    return this.#get(`/v1/exceptions/${encodeURIComponent(id)}`);
  }
  retry(id: string): Promise<{ exception: ExceptionRecord }> {
    return this.#send('POST', `/v1/exceptions/${encodeURIComponent(id)}/retry`);
  }
  skip(id: string, reason: string): Promise<{ exception: ExceptionRecord } | WaitsForApproval> {
    return this.#send('POST', `/v1/exceptions/${encodeURIComponent(id)}/skip`, { reason });
  }
  resubmit(
    id: string,
    input: unknown,
    reason?: string,
  ): Promise<{ exception: ExceptionRecord } | WaitsForApproval> {
    return this.#send('POST', `/v1/exceptions/${encodeURIComponent(id)}/resubmit`, {
      input,
      ...(reason ? { reason } : {}),
    });
  }
  retryMany(ids: string[]): Promise<BulkRetryResult> {
    return this.#send('POST', '/v1/exceptions/retry', { ids });
  }
  approvals(query: Query): Promise<{ changeRequests: ChangeRequest[] }> {
    return this.#get('/v1/approvals', query);
  }
  approval(id: string): Promise<{ changeRequest: ChangeRequest }> {
    return this.#get(`/v1/approvals/${encodeURIComponent(id)}`);
  }
  approve(id: string, comment?: string): Promise<{ changeRequest: ChangeRequest }> {
    return this.#send('POST', `/v1/approvals/${encodeURIComponent(id)}/approve`, {
      ...(comment ? { comment } : {}),
    });
  }
  reject(id: string, reason: string): Promise<{ changeRequest: ChangeRequest }> {
    return this.#send('POST', `/v1/approvals/${encodeURIComponent(id)}/reject`, { reason });
  }
  entity(id: string): Promise<EntityDetail> {
    return this.#get(`/v1/entities/${encodeURIComponent(id)}`, { limit: 300 });
  }

  #get<T>(path: string, query: Query = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(name, String(value));
    }
    const search = params.size > 0 ? `?${params}` : '';
    return this.#send('GET', `${path}${search}`);
  }

  async #send<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            ...this.headers,
            accept: 'application/json',
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (caught) {
        throw new ApiError(
          0,
          'network',
          `cannot reach the revsync API (${caught instanceof Error ? caught.message : String(caught)})`,
        );
      }
      if (response.status === 429 && attempt <= 2) {
        const seconds = Number(response.headers.get('retry-after')) || 1;
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      if (response.ok) return (await response.json()) as T;
      const error = await toApiError(response);
      if (error.status === 401) this.#onUnauthorized?.(error);
      throw error;
    }
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: { path?: string; message: string }[] };
    };
    if (body.error?.code && body.error.message) {
      return new ApiError(response.status, body.error.code, body.error.message, body.error.details);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
}

/** A message for people from anything thrown. */
export function messageOf(caught: unknown): string {
  if (caught instanceof ApiError) {
    const details = caught.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
    return [
      `${caught.message}${caught.status ? ` (${caught.status} ${caught.code})` : ''}`,
      ...details,
    ].join(' — ');
  }
  return caught instanceof Error ? caught.message : String(caught);
}

/**
 * Thrown by a route handler (or middleware) to answer with exactly this response.
 * The body is sent as is, so emulators build their vendor's error shape here
 * (Stripe `{error:{type,…}}`, Salesforce `[{errorCode,…}]`, NetSuite `{type,title,…}`).
 *
 * @example throw new EmulatorHttpError(404, { error: { type: 'invalid_request_error' } });
 */
export class EmulatorHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    super(`emulator HTTP ${status}`);
    this.name = 'EmulatorHttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

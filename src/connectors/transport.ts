/**
 * What every connector's HTTP client does the same way: read a response body that may not be
 * JSON, turn a failed request into revsync's error, and bound a promise in time.
 */
import { coerceError, RetryableError, TimeoutError } from '../model/revsync-error.ts';

/** A response body as JSON; the text itself when it is not JSON, `undefined` when empty. */
export function parseJsonBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A request that got no answer: `TimeoutError` when revsync's own timer ended it, else a
 * `RetryableError` naming the request (a timeout error from below is kept as it is).
 */
export function transportError(
  system: string,
  caught: unknown,
  request: string,
  timedOut: boolean,
  timeoutMs: number,
): Error {
  if (timedOut) {
    return new TimeoutError(`${system} did not answer ${request} within ${timeoutMs} ms`, {
      system,
      cause: caught,
    });
  }
  const error = coerceError(caught);
  if (error.code === 'timeout') return error;
  return new RetryableError(`${system} request ${request} failed: ${error.message}`, {
    system,
    cause: caught,
  });
}

/** `p`, or a `TimeoutError` saying `what took over <ms> ms` when it takes longer than `ms`. */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  system: string,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${what} took over ${ms} ms`, { system })),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

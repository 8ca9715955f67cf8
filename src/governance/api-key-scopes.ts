import { ValidationError } from '../model/revsync-error.ts';

/**
 * Scopes narrow what an API key may do below its role. A scope is `<area>:<access>`: the area is
 * a section of the API (the route's OpenAPI tag: `usage`, `runs`, `exceptions`, …), the access is
 * `read` (GET) or `write` (anything else), and `*` stands for either part (`usage:*`, `*:read`).
 * A key without scopes may do everything its role allows; a key with scopes may call a route
 * only when its role allows it *and* one of its scopes covers the route's scope. `write` does not
 * include `read`: a metering integration with `usage:write` can post usage and nothing else.
 */
export type ApiKeyScope = `${string}:${string}`;

const SCOPE = /^([a-z][a-z0-9_-]*|\*):(read|write|\*)$/;

/** True when `scope` is of the `<area>:<read|write|*>` form. */
export function isScopeSyntax(scope: string): boolean {
  return SCOPE.test(scope);
}

/** The scope a route needs: its area and whether it reads (GET) or writes. */
export function routeScope(area: string, method: string): ApiKeyScope {
  return `${area}:${method.toUpperCase() === 'GET' ? 'read' : 'write'}`;
}

/** True when one of `granted` covers `needed` (both `<area>:<access>`). */
export function scopesAllow(granted: readonly string[], needed: string): boolean {
  const [area, access] = needed.split(':');
  return granted.some((scope) => {
    const [a, x] = scope.split(':');
    return (a === '*' || a === area) && (x === '*' || x === access);
  });
}

/**
 * Checks and normalises the scopes asked for a key: each of the `<area>:<access>` form, each
 * area one the API has (when `areas` is given), no repeats; sorted. An empty list is refused
 * (it would allow nothing): leave scopes out for a key limited by its role only.
 */
export function checkScopes(scopes: readonly string[], areas?: readonly string[]): string[] {
  if (scopes.length === 0) {
    throw new ValidationError(
      'scopes: an empty list would allow nothing; leave scopes out for a key limited by its role only',
    );
  }
  const bad = scopes.filter((s) => typeof s !== 'string' || !isScopeSyntax(s));
  if (bad.length > 0) {
    throw new ValidationError(
      `scopes: ${bad.map((s) => JSON.stringify(s)).join(', ')} not of the form <area>:<read|write|*> (e.g. usage:write, runs:read, *:read)`,
    );
  }
  if (areas) {
    const unknown = scopes.filter((s) => {
      const area = s.split(':')[0]!;
      return area !== '*' && !areas.includes(area);
    });
    if (unknown.length > 0) {
      throw new ValidationError(
        `scopes: unknown area in ${unknown.join(', ')} (areas: ${[...areas].sort().join(', ')})`,
      );
    }
  }
  return [...new Set(scopes)].sort();
}

/**
 * The canonical JSON encoding the audit hash chain and its signed checkpoints are computed over.
 * Two encoders that follow these rules produce the same bytes for the same value, so a hash can
 * be recomputed by anyone, in any language:
 *
 * - no whitespace anywhere;
 * - object members sorted by key, comparing keys as sequences of UTF-16 code units (JavaScript's
 *   default string order, as in RFC 8785); members whose value is `undefined` are left out;
 * - strings escaped as `JSON.stringify` escapes them (`"`, `\\`, control characters as `\n` /
 *   `\u001f`, lone surrogates as `\udxxx`; everything else, non-ASCII included, as itself);
 * - integers (`Number.isInteger`) as plain decimal digits with an optional `-`: no fraction, no
 *   exponent, `-0` as `0`, also beyond 2^53 (the exact value of the double);
 * - other finite numbers in ECMAScript's shortest round-trip form (`String(n)`, as in RFC 8785);
 *   `NaN` and the infinities are refused;
 * - `true`, `false`, `null`; arrays in order.
 *
 * The result is encoded as UTF-8 before hashing. For the values revsync stores (JSON read back
 * from text) this coincides with RFC 8785 (JCS) except for integers of 10^21 and more, which JCS
 * writes with an exponent.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonical JSON has no ${String(value)} (at ${path})`);
      }
      return Number.isInteger(value) ? BigInt(value).toString() : String(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => encode(v === undefined ? null : v, `${path}[${i}]`)).join(',')}]`;
      }
      const members = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map(
          (k) =>
            `${JSON.stringify(k)}:${encode((value as Record<string, unknown>)[k], `${path}.${k}`)}`,
        );
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value} (at ${path})`);
  }
}

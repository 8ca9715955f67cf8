const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/;

/** The 3-character case-safety suffix Salesforce appends to a 15-character id. */
function suffixOf(id15: string): string {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let j = 0; j < 5; j++) {
      const c = id15.charCodeAt(chunk * 5 + j);
      if (c >= 65 && c <= 90) bits |= 1 << j;
    }
    out += SUFFIX_CHARS[bits];
  }
  return out;
}

/**
 * Salesforce record id helpers: 15-character case-sensitive ids, their 18-character
 * case-safe form, and key prefixes (`001` Account, `003` Contact, …).
 */
export const salesforceId = {
  /** Appends the case-safety suffix to a 15-character id. */
  from15(id15: string): string {
    return id15 + suffixOf(id15);
  },
  /**
   * The 18-character form of a 15- or 18-character id, or `undefined` when the value is not
   * shaped like an id (or an 18-character id's suffix does not match).
   */
  normalize(value: unknown): string | undefined {
    if (typeof value !== 'string' || !ID_SHAPE.test(value)) return undefined;
    if (value.length === 15) return value + suffixOf(value);
    return suffixOf(value.slice(0, 15)) === value.slice(15) ? value : undefined;
  },
  /** The key prefix (first three characters). */
  prefix(id: string): string {
    return id.slice(0, 3);
  },
};

/**
 * Checks a numeric emulator option: an integer of at least `min`, else a RangeError naming the
 * start function (`owner`), the option and the value given.
 */
export function checkedInteger(owner: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${owner}: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** One page of a Stripe list. */
export interface StripePage<T> {
  data: T[];
  has_more: boolean;
}

/**
 * Every element of a Stripe list, asking `page` for each page after the last id seen
 * (`starting_after`); the caller decides how one page is requested (governed, retried…).
 */
export async function walkStripeList<T extends { id?: string }>(
  page: (startingAfter: string | undefined) => PromiseLike<StripePage<T>>,
): Promise<T[]> {
  const all: T[] = [];
  for (let after: string | undefined; ;) {
    const { data, has_more } = await page(after);
    all.push(...data);
    const last = data.at(-1);
    if (!has_more || last === undefined) return all;
    after = last.id;
  }
}

/** One page of a Stripe list. */
export interface StripePage<T> {
  data: T[];
  has_more: boolean;
}

/**
 * The pages of a Stripe list, asking `page` for each page after the last id seen
 * (`starting_after`); the caller decides how one page is requested (governed, retried…).
 * Empty pages are not yielded.
 */
export async function* stripeListPages<T extends { id?: string }>(
  page: (startingAfter: string | undefined) => PromiseLike<StripePage<T>>,
): AsyncGenerator<T[]> {
  for (let after: string | undefined; ;) {
    const { data, has_more } = await page(after);
    if (data.length > 0) yield data;
    const last = data.at(-1);
    if (!has_more || last === undefined) return;
    after = last.id;
  }
}

/** Every element of a Stripe list (all of {@link stripeListPages}). */
export async function walkStripeList<T extends { id?: string }>(
  page: (startingAfter: string | undefined) => PromiseLike<StripePage<T>>,
): Promise<T[]> {
  const all: T[] = [];
  for await (const data of stripeListPages(page)) all.push(...data);
  return all;
}

/**
 * The people and systems around revsync retry what fails for a passing reason, as their tools
 * do: the emulators inject the same faults into their calls as into revsync's.
 */
export async function retry<T>(call: () => PromiseLike<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (caught) {
      const status =
        (caught as { statusCode?: number }).statusCode ?? (caught as { status?: number }).status;
      const code =
        (caught as { errorCode?: string }).errorCode ?? (caught as { code?: string }).code ?? '';
      const passing =
        status === undefined ||
        status === 429 ||
        status >= 500 ||
        /LIMIT|UNAVAILABLE|ECONN|socket|timeout|fetch failed|rate/i.test(
          `${code} ${String(caught)}`,
        );
      if (!passing || attempt >= attempts) throw caught;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
    }
  }
}

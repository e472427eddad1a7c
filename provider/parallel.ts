/** Glance writes in flight per resource. The SDK's keep-alive agent reuses the connections. */
export const MEMBER_WRITES_IN_FLIGHT = 8;

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

import { afterAll, afterEach, expect } from "vitest";
import { type FaultProxy, type FaultProxyOptions, leaksIn, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { errorTexts } from "./leaks";

/**
 * For test files built on fault proxies: starts proxies that are closed after each test, and checks
 * then that nothing the test saw (errors, logged lines, the proxies' logs and stats) holds a secret
 * or a token the proxies carried. Registers its own afterEach / afterAll.
 */
export function watchProxies(secrets: readonly string[]) {
  const proxies: FaultProxy[] = [];
  const texts: string[] = [];
  const tokens: string[] = [];

  afterAll(() => removeCloudsCopies());
  afterEach(async () => {
    const all = [...texts, ...proxies.flatMap((p) => [JSON.stringify(p.log()), JSON.stringify(p.stats()), p.summary()])];
    const leaks = leaksIn(all, [...secrets, ...tokens], proxies);
    texts.length = 0;
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    expect(leaks).toEqual([]);
  });

  return {
    /** A fault proxy in front of `upstream`, closed after the test. */
    proxy: async (upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> => {
      const p = await startFaultProxy(upstream, options);
      proxies.push(p);
      return p;
    },
    /** Something a user would see (an error, a printed line): checked for secrets after the test. */
    see: (x: unknown): void => {
      texts.push(errorTexts(x));
    },
    /** A token the test obtained itself: it must not appear anywhere either. */
    token: (t: string): void => {
      tokens.push(t);
    },
  };
}

// What a page opened by playwright-core has requested from its own origin, in the page and in its
// workers (the engine's worker fetches the wasm and the weights), from Resource Timing. The bench
// and the end-to-end tests both read it.

/**
 * `[{path, start, end}]`: each same-origin request of `page` and its workers, `start` and `end`
 * (the response's end) in ms on the page's clock (a worker's clock starts later: each entry is
 * moved onto the page's).
 */
export async function requestsOf(page) {
  const origin = new URL(page.url()).origin;
  const pageOrigin = await page.evaluate(() => performance.timeOrigin);
  const timeline = (scope) => [...scope.performance.getEntriesByType('navigation'), ...scope.performance.getEntriesByType('resource')]
    .map((e) => ({ name: e.name, start: scope.performance.timeOrigin + e.startTime, end: scope.performance.timeOrigin + e.responseEnd }));
  // A string, not a function: the same code runs in the page and in each worker.
  const all = (await Promise.all([page, ...page.workers()].map((where) => where.evaluate(`(${timeline})(self)`).catch(() => [])))).flat();
  return all
    .filter((e) => e.name.startsWith(origin))
    .map((e) => ({ path: new URL(e.name).pathname, start: e.start - pageOrigin, end: e.end - pageOrigin }));
}

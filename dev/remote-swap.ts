/**
 * Swaps a module into a `meshwasm proxy` that `dev` did not start, through its admin listener
 * (started with `--admin PORT --hot-swap`): PUT /filters/NAME/module (proxy/module-swap.ts).
 * Resolves to the chain version now serving; rejects with the proxy's reason, and the proxy keeps
 * serving what it had.
 */
export async function swapIntoProxy(
  adminUrl: string,
  filter: string,
  module: Uint8Array,
  configuration: string | undefined,
): Promise<string> {
  const url = new URL(`/filters/${encodeURIComponent(filter)}/module`, adminUrl);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        module: Buffer.from(module).toString('base64'),
        ...(configuration !== undefined ? { configuration } : {}),
      }),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(
      `cannot reach the proxy's admin listener at ${adminUrl} (${cause}); start it with "meshwasm proxy ... --admin PORT --hot-swap"`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { version?: string; error?: string };
  if (res.status === 405)
    throw new Error(`the proxy at ${adminUrl} does not take swaps; restart it with --hot-swap beside --admin`);
  if (!res.ok || typeof body.version !== 'string')
    throw new Error(`the proxy at ${adminUrl} refused the swap (${res.status}): ${body.error ?? 'no reason given'}`);
  return body.version;
}

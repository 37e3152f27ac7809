// Module downloads by the proxy (Envoy's remote data source): bounded in size as well as time.

/** The body, refused as soon as it passes `max` bytes (declared or received), so a bad server cannot fill memory. */
export async function readAtMost(res: Response, max: number): Promise<Uint8Array> {
  const refuse = async (what: string) => {
    await res.body?.cancel().catch(() => {});
    return new Error(`${what}, over the proxy's module size limit of ${max} bytes`);
  };
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) throw await refuse(`it declares ${declared} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw await refuse(`it sent more than ${max} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Names what a plugin configuration holds without echoing any of it: configurations carry JWT
 * secrets and API keys, and analyze's output ends up in CI logs. Field paths (`jwt.secret`,
 * `rules[].path`) tell the author where to look; values never leave.
 */
const maxPaths = 20;

export function describeConfigFields(configuration: Uint8Array): string {
  if (configuration.length === 0) return 'pluginConfig empty';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(configuration).toString('utf8'));
  } catch {
    return `pluginConfig of ${configuration.length} bytes, not JSON; values not shown`;
  }
  const paths: string[] = [];
  collect(parsed, '', paths);
  if (!paths.length) return `pluginConfig is a JSON ${kindOf(parsed)}; values not shown`;
  const shown = paths.slice(0, maxPaths).join(', ');
  return `pluginConfig fields: ${shown}${paths.length > maxPaths ? `, and ${paths.length - maxPaths} more` : ''}; values not shown`;
}

function collect(v: unknown, path: string, out: string[]): void {
  if (Array.isArray(v)) {
    // One path per shape, not per element: `rules[].path`, whatever the number of rules.
    const before = out.length;
    for (const item of v) collect(item, `${path}[]`, out);
    if (out.length === before) out.push(`${path}[]`);
    dedupe(out, before);
    return;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length && path) out.push(path);
    for (const k of keys) collect((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (path) out.push(path);
}

function dedupe(out: string[], from: number): void {
  const seen = new Set(out.slice(0, from));
  for (const p of out.splice(from)) {
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

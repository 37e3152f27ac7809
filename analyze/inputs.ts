import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import YAML from 'yaml';

/** One parsed YAML/JSON document with where it came from. */
export interface InputDoc {
  doc: Record<string, any>;
  origin: string;
  /** "file.yaml (document 2)" when a file holds several. */
  where: string;
}

export interface InputProblem {
  origin: string;
  message: string;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Reads a manifest file, every .yaml/.yml/.json under a directory (recursively, sorted so
 * findings come out in a stable order), or stdin ("-"). `kind: List` documents are flattened.
 */
export async function readInputs(
  path: string,
  stdin: () => Promise<string> = readStdin,
): Promise<{ docs: InputDoc[]; problems: InputProblem[]; files: string[] }> {
  const files: string[] = [];
  if (path === '-') {
    return { ...parseText(await stdin(), '<stdin>'), files: ['<stdin>'] };
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw Object.assign(
      new Error(`analyze: "${path}" does not exist; pass a manifest file, a directory of manifests, or - for stdin`),
      { kind: 'not-found' as const },
    );
  }
  if (st.isDirectory()) files.push(...(await walk(path)));
  else files.push(path);
  const docs: InputDoc[] = [];
  const problems: InputProblem[] = [];
  for (const f of files) {
    const r = parseText(await readFile(f, 'utf8'), f);
    docs.push(...r.docs);
    problems.push(...r.problems);
  }
  return { docs, problems, files };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (MANIFEST_EXT.test(e.name)) out.push(p);
  }
  return out;
}

export function parseText(text: string, origin: string): { docs: InputDoc[]; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  let raw: unknown[];
  try {
    raw = YAML.parseAllDocuments(text).map((d) => {
      if (d.errors.length) throw d.errors[0];
      return d.toJS() as unknown;
    });
  } catch (err) {
    return { docs: [], problems: [{ origin, message: yamlProblem(err, origin, text) }] };
  }
  const flat = raw.flatMap((d) =>
    (d as { kind?: string } | null)?.kind === 'List' ? ((d as { items?: unknown[] }).items ?? []) : [d],
  );
  const docs: InputDoc[] = [];
  flat.forEach((doc, i) => {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
    docs.push({
      doc: doc as Record<string, any>,
      origin,
      where: flat.length > 1 ? `${origin} (document ${i + 1})` : origin,
    });
  });
  return { docs, problems };
}

/**
 * A YAML parse error as "file:LINE:COL: not valid YAML/JSON: reason", then the line that failed
 * and a caret under the column, as a compiler quotes it.
 */
function yamlProblem(err: unknown, origin: string, text: string): string {
  const e = err as { message?: string; linePos?: { line: number; col: number }[] };
  const reason = (e.message ?? String(err)).split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  if (!pos) return `${origin}: not valid YAML/JSON: ${reason}`;
  const lines = text.split(/\r?\n/);
  const width = String(pos.line).length;
  const show = (n: number) => `  ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`;
  // The parser often notices at the next line (or the end of the file): the line before is context.
  const quoted = pos.line > 1 ? [show(pos.line - 1), show(pos.line)] : [show(pos.line)];
  return [
    `${origin}:${pos.line}:${pos.col}: not valid YAML/JSON: ${reason}`,
    ...quoted,
    `  ${' '.repeat(width + 3 + Math.max(0, pos.col - 1))}^`,
  ].join('\n');
}

/**
 * Several inputs (files, directories, "-"), each read as readInputs does. A file named twice, or
 * also found under a directory given, is read once. `byInput` keeps which documents each input
 * gave, so the caller can warn about an input that holds no manifest.
 */
export async function readManyInputs(
  paths: string[],
  stdin: () => Promise<string> = readStdin,
): Promise<{
  docs: InputDoc[];
  problems: InputProblem[];
  byInput: { input: string; docs: InputDoc[]; files: string[] }[];
}> {
  const seen = new Set<string>();
  const docs: InputDoc[] = [];
  const problems: InputProblem[] = [];
  const byInput: { input: string; docs: InputDoc[]; files: string[] }[] = [];
  for (const p of paths) {
    const r = await readInputs(p, stdin);
    const fresh = r.files.filter((f) => !seen.has(resolvePath(f)));
    for (const f of fresh) seen.add(resolvePath(f));
    const mine = r.docs.filter((d) => fresh.includes(d.origin));
    docs.push(...mine);
    problems.push(...r.problems.filter((x) => fresh.includes(x.origin)));
    byInput.push({ input: p, docs: r.docs, files: r.files });
  }
  return { docs, problems, byInput };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
    return {
      docs: [],
      problems: [{ origin, message: `${origin}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}` }],
    };
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

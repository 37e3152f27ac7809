import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from './errors.js';

/** The parts of an asconfig.json meshwasm reads. */
export interface AsConfig {
  extends?: string;
  entries?: string[];
  options?: Record<string, unknown>;
  targets?: Record<string, Record<string, unknown>>;
}

/**
 * Reads an asconfig.json and the chain of files it `extends`, merged as asc merges them: the
 * extending file's options and per-target settings win over its base's. The result has no
 * `extends`, so it stands alone (a scaffold writes it as the project's own file). Returns null
 * when the file does not exist.
 */
export function loadAsConfig(file: string): AsConfig | null {
  if (!existsSync(file)) return null;
  const seen = new Set<string>();
  let merged: AsConfig = {};
  let current: string | undefined = path.resolve(file);
  while (current && !seen.has(current)) {
    seen.add(current);
    if (!existsSync(current)) {
      throw new BuildError(
        `build: ${[...seen][0]} extends ${current}, which does not exist; fix "extends" or remove it`,
        'invalid-input',
      );
    }
    const level = parseAsConfig(current);
    merged = {
      entries: merged.entries ?? level.entries,
      options: { ...level.options, ...merged.options },
      targets: mergeTargets(level.targets ?? {}, merged.targets ?? {}),
    };
    current = level.extends ? path.resolve(path.dirname(current), level.extends) : undefined;
  }
  if (merged.entries === undefined) delete merged.entries;
  return merged;
}

function mergeTargets(
  base: NonNullable<AsConfig['targets']>,
  over: NonNullable<AsConfig['targets']>,
): NonNullable<AsConfig['targets']> {
  const out: NonNullable<AsConfig['targets']> = {};
  for (const name of new Set([...Object.keys(base), ...Object.keys(over)]))
    out[name] = { ...base[name], ...over[name] };
  return out;
}

function parseAsConfig(file: string): AsConfig {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as AsConfig;
  } catch (err) {
    throw new BuildError(
      `build: ${file} is not valid JSON (${(err as Error).message}); fix it or delete it to use the defaults`,
      'invalid-input',
    );
  }
}

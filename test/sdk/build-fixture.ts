import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin/meshwasm.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (npm test builds dist/ first) in a child process. Asynchronous on purpose:
 * a compile takes seconds, and blocking the test worker that long makes vitest's RPC time out.
 */
export function meshwasm(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface BuildJson {
  module: string;
  target: string;
  sizeBytes: number;
  abiVersion: string;
  sourceMap: string | null;
  data: { compressed: boolean; bytesBefore: number; bytesAfter: number; decoderBytes: number; reason: string | null };
  callbacks: string[];
  imports: { env: string[]; wasi: string[] };
  warnings: string[];
}

/** `meshwasm build` of test/sdk/fixtures/<name> into `out`; throws with asc's output on failure. */
export async function buildFixtureFresh(
  name: string,
  out: string,
  target: 'release' | 'debug' = 'release',
): Promise<BuildJson> {
  const r = await meshwasm(
    'build',
    path.join(repo, 'test/sdk/fixtures', name),
    '--target',
    target,
    '--out',
    out,
    '-o',
    'json',
  );
  if (r.status !== 0) throw new Error(`meshwasm build of fixture ${name} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as BuildJson;
}

/**
 * The module of an AssemblyScript fixture under test/sdk/fixtures/<name>, built with the real
 * CLI into a temp dir (fixtures are committed as sources, never as .wasm). Cached by a hash of
 * the fixture's, the SDK's and the builder's sources, so the test files sharing a fixture
 * compile it once, and any change to either recompiles.
 */
export async function buildFixture(name: string, target: 'release' | 'debug' = 'release'): Promise<string> {
  const dir = path.join(repo, 'test/sdk/fixtures', name);
  const hash = createHash('sha256');
  // templates/: a fixture may re-export a template's filter (tcp-template).
  for (const base of [
    path.join(dir, 'assembly'),
    path.join(repo, 'sdk'),
    path.join(repo, 'builder'),
    path.join(repo, 'templates'),
  ]) {
    for (const f of listFiles(base)) hash.update(f).update(readFileSync(f));
  }
  hash.update(target);
  const cacheDir = path.join(tmpdir(), 'meshwasm-sdk-fixtures');
  mkdirSync(cacheDir, { recursive: true });
  const cached = path.join(cacheDir, `${name}-${target}-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(cached)) return cached;
  const tmp = path.join(cacheDir, `${process.pid}-${Date.now()}-${name}.wasm`);
  await buildFixtureFresh(name, tmp, target);
  renameSync(tmp, cached); // atomic: a parallel worker sees the whole file or none
  return cached;
}

function listFiles(base: string): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(base, { withFileTypes: true, recursive: true })) {
    if (ent.isFile() && ent.name.endsWith('.ts')) out.push(path.join(ent.parentPath, ent.name));
  }
  return out.sort();
}

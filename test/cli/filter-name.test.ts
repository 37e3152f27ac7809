import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultFilterName } from '../../cli/filter-name.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream } from '../proxy/helpers/upstream.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const work = mkdtempSync(path.join(tmpdir(), 'mw-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function put(rel: string, content: string | Uint8Array): string {
  const file = path.join(work, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

describe("a --module without --name is named for its project, not for asc's output file", () => {
  it('package name, then directory name, for build/ outputs and generic names; else the file name', () => {
    put('with-pkg/package.json', JSON.stringify({ name: '@acme/authz' }));
    expect(defaultFilterName(put('with-pkg/build/release.wasm', ''))).toBe('@acme/authz');
    expect(defaultFilterName(put('plain/build/debug.wasm', ''))).toBe('plain');
    expect(defaultFilterName(put('loose/release.wasm', ''))).toBe('loose');
    expect(defaultFilterName(put('with-pkg/tagger.wasm', ''))).toBe('tagger');
    put('broken-pkg/package.json', '{not json');
    expect(defaultFilterName(put('broken-pkg/build/release.wasm', ''))).toBe('broken-pkg');
  });

  it('meshwasm proxy --module a/build/release.wasm --module b/build/release.wasm runs both (real proxy on 127.0.0.1)', async () => {
    const up = await startUpstream();
    const a = put('a/build/release.wasm', watModule('tagger'));
    put('b/package.json', JSON.stringify({ name: 'b-filter' }));
    const b = put('b/build/release.wasm', watModule('tagger'));
    const child = spawn(
      process.execPath,
      [bin, 'proxy', '-o', 'json', '--upstream', up.url, '--listen', '127.0.0.1:0', '--module', a, '--module', b],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const listening = await new Promise<{ chain: { filters: { name: string }[] } } | null>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        const e = JSON.parse(l) as { event: string; chain: { filters: { name: string }[] } };
        if (e.event === 'listening') resolve(e);
      });
      void exited.then(() => resolve(null));
    });
    expect(listening, stderr).not.toBeNull();
    expect(listening!.chain.filters.map((f) => f.name)).toEqual(['a', 'b-filter']);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await up.close();
  }, 60_000);
});

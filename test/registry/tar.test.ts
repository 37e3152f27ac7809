import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar, tarSingleFile } from '../../registry/formats/tar.js';
import { RegistryError } from '../../registry/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwasm-tar-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('tar reading and writing (checked against GNU tar)', () => {
  it('GNU tar extracts what tarSingleFile writes', async () => {
    const data = new Uint8Array(1000).map((_, i) => i % 251);
    await writeFile(join(dir, 'one.tar'), tarSingleFile('plugin.wasm', data));
    await mkdir(join(dir, 'x'));
    execFileSync('tar', ['-xf', join(dir, 'one.tar'), '-C', join(dir, 'x')]);
    expect(Buffer.from(await readFile(join(dir, 'x', 'plugin.wasm'))).equals(Buffer.from(data))).toBe(true);
  });

  it('reads GNU tar and PAX archives with long and non-ASCII names', async () => {
    const src = join(dir, 'src');
    const long = 'd'.repeat(120);
    await mkdir(join(src, long), { recursive: true });
    await writeFile(join(src, long, 'plugin.wasm'), 'wasm!');
    await writeFile(join(src, 'ünïcödé-ファイル.txt'), 'x');
    for (const format of ['gnu', 'pax']) {
      const archive = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', archive, '-C', src, '.']);
      const entries = readTar(new Uint8Array(await readFile(archive)), format);
      const plugin = entries.find((e) => e.path === `${long}/plugin.wasm`);
      expect(Buffer.from(plugin!.data).toString(), format).toBe('wasm!');
      expect(
        entries.some((e) => e.path === 'ünïcödé-ファイル.txt'),
        format,
      ).toBe(true);
    }
  });

  it('refuses entries that escape, and truncated archives', () => {
    expect(() => readTar(tarSingleFile('a/../../x', new Uint8Array(1)), 't')).toThrow(
      /escapes the extraction directory/,
    );
    const whole = tarSingleFile('ok', new Uint8Array(2000));
    expect(() => readTar(whole.subarray(0, 1024), 't')).toThrow(RegistryError);
    expect(readTar(tarSingleFile('./a/./b', new Uint8Array(1)), 't')[0]!.path).toBe('a/b');
  });
});

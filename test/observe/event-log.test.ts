// The control plane's event log for the transitions the rollout test does not cover: a module
// that cannot be fetched (fetch.failed, fallback.applied), an invalid manifest, a removed one;
// and the text form of a line. Real control plane, real HTTP module server on 127.0.0.1.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { logControlPlaneEvents } from '../../control-plane/observe/event-log.js';
import { createLogger, textLine } from '../../logging/logger.js';
import { eventually, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';

describe('control plane event log', () => {
  const dir = tempDir('event-log');
  const lines: Record<string, any>[] = [];
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let cp: ControlPlane;

  beforeAll(async () => {
    modules = await startModuleServer({});
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => {
      for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l));
    });
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: tempDir('event-log-cache') }),
      retryMs: 60_000,
    });
    logControlPlaneEvents(cp, createLogger({ format: 'json', level: 'debug', destination: sink }));
  });
  afterAll(async () => {
    await cp?.close();
    await modules?.close();
  });

  it('logs the failed fetch, the fallback applied, an invalid manifest and a removal', async () => {
    writeManifest(
      dir,
      'gone.yaml',
      wasmPlugin('gone', { url: `${modules.url}/missing.wasm`, sha256: 'd'.repeat(64), failStrategy: 'FAIL_OPEN' }),
    );
    const fallback = await eventually(() => lines.find((l) => l.event === 'fallback.applied'), 'fallback.applied');
    expect(fallback).toMatchObject({ level: 'warn', extension: 'WasmPlugin/default/gone', fallback: 'allow-all' });
    const failed = lines.find((l) => l.event === 'fetch.failed')!;
    expect(failed.url).toBe(`${modules.url}/missing.wasm`);
    expect(failed.reason).toContain('404');
    expect(lines.find((l) => l.event === 'fetch.started')).toMatchObject({ level: 'debug', declared: 'd'.repeat(64) });

    writeFileSync(
      join(dir, 'bad.yaml'),
      'apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: bad}\nspec: {phase: LATE}\n',
    );
    const invalid = await eventually(() => lines.find((l) => l.event === 'manifest.invalid'), 'manifest.invalid');
    expect(invalid.reason).toContain('spec.phase');

    rmSync(join(dir, 'gone.yaml'));
    await eventually(
      () => lines.find((l) => l.event === 'manifest.removed' && l.extension === 'WasmPlugin/default/gone'),
      'manifest.removed',
    );
  });

  it('renders a line as text with the same fields', () => {
    const text = textLine(
      JSON.stringify({
        level: 'warn',
        time: '2026-01-02T03:04:05.678Z',
        component: 'control-plane',
        event: 'nack',
        node: 'web-1',
        reason: 'bad ABI',
        msg: 'proxy rejected (NACK)',
      }),
    );
    expect(text).toBe('03:04:05.678 WARN  [control-plane] proxy rejected (NACK)  node=web-1 reason="bad ABI"');
  });
});

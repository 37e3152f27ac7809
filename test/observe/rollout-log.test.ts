// A full rollout through the real control plane and the real proxy (ECDS over gRPC on
// 127.0.0.1): v1 serving, push v2 -> ACK, bad v3 -> NACK -> ServingPrevious. The control plane's
// log of it, normalized (ports, versions, digests, durations), is the excerpt in
// docs/control-plane.md: this test compares them, so the docs cannot drift from the code.
// MESHWASM_UPDATE_DOCS=1 rewrites the excerpt instead.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
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
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import {
  eventually,
  sha256,
  startModuleServer,
  tempDir,
  wasmModule,
  wasmPlugin,
  writeManifest,
} from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { withCustomSection } from '../proxy/helpers/wasm-variant.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const DOC = new URL('../../docs/control-plane.md', import.meta.url);
const START = '<!-- rollout-log:start (written by test/observe/rollout-log.test.ts) -->';
const END = '<!-- rollout-log:end -->';

describe('the log of a rollout: v2 ACKed, bad v3 NACKed, previous version kept', () => {
  const v1 = watModule('tagger');
  const v2 = withCustomSection(v1, 'v2');
  const v3 = wasmModule('not a filter');
  const lines: Record<string, unknown>[] = [];
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  let dir: string;

  const manifest = (file: string) =>
    wasmPlugin('tagger', {
      url: `${modules.url}/${file}`,
      sha256: sha256(modules.files[`/${file}`]!),
      pluginName: 'tagger_root',
      selector: { matchLabels: { app: 'web' } },
    });

  beforeAll(async () => {
    modules = await startModuleServer({ '/v1.wasm': v1, '/v2.wasm': v2, '/v3.wasm': v3 });
    up = await startUpstream();
    dir = tempDir('rollout');
    writeManifest(dir, 'tagger.yaml', manifest('v1.wasm'));
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => {
      for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l));
    });
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: tempDir('rollout-cache') }),
    });
    logControlPlaneEvents(cp, createLogger({ format: 'json', level: 'info', destination: sink }));
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stopXds = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'web-proxy',
      labels: { app: 'web' },
      namespace: 'default',
    });
    await eventually(
      () => cp.status().extensions[0]?.proxies[0]?.runningDigest === sha256(v1),
      'v1 to be ACKed by the proxy',
    );
  }, 60_000);

  afterAll(async () => {
    stopXds?.();
    await proxy?.close();
    await cp?.close();
    await up?.close();
    await modules?.close();
  });

  it('logs push, ACK, NACK with the reason and ServingPrevious; status says which version runs', async () => {
    const from = lines.length;
    writeManifest(dir, 'tagger.yaml', manifest('v2.wasm'));
    await eventually(
      () => cp.status().extensions[0]?.proxies[0]?.runningDigest === sha256(v2),
      'v2 to be ACKed by the proxy',
    );
    writeManifest(dir, 'tagger.yaml', manifest('v3.wasm'));
    const ext = await eventually(() => {
      const e = cp.status().extensions[0];
      return e?.condition.reason === 'ServingPrevious' ? e : undefined;
    }, 'the NACK of v3 to turn the condition to ServingPrevious');
    await eventually(() => lines.some((l) => l.reason === 'ServingPrevious'), 'the condition in the log');

    // Status tells the truth: v3 wanted, v3 refused by the proxy, v2 still running.
    expect(ext.wanted.digest).toBe(sha256(v3));
    expect(ext.serving).toEqual([{ digest: sha256(v2), proxies: 1 }]);
    expect(ext.proxies[0]).toMatchObject({
      nodeId: 'web-proxy',
      acked: false,
      runningDigest: sha256(v2),
      nackedDigest: sha256(v3),
    });
    expect(ext.proxies[0]!.nack).toContain('filter "default.tagger"');
    expect(ext.condition.message).toContain(`rejected sha256:${sha256(v3).slice(0, 12)}`);
    expect(ext.condition.message).toContain(`keeps running sha256:${sha256(v2).slice(0, 12)}`);
    expect(proxy.chain().filters[0]!.sha256).toBe(sha256(v2));

    const rollout = lines.slice(from);
    const events = rollout.map((l) => l.event);
    // The order that matters: v2 pushed then ACKed, v3 pushed then NACKed, then ServingPrevious.
    const at = (ev: string, after = -1) => events.findIndex((e, i) => i > after && e === ev);
    const pushV2 = at('push');
    const ackV2 = at('ack', pushV2);
    const pushV3 = at('push', ackV2);
    const nackV3 = at('nack', pushV3);
    const previous = rollout.findIndex((l, i) => i > nackV3 && l.reason === 'ServingPrevious');
    expect([pushV2, ackV2, pushV3, nackV3, previous].every((i) => i >= 0)).toBe(true);
    expect(rollout[nackV3]!.reason).toContain('filter "default.tagger"');

    const excerpt = normalize(rollout, { v1, v2, v3 }, modules.url);
    const doc = readFileSync(DOC, 'utf8');
    const block = `${START}\n\`\`\`\n${excerpt}\n\`\`\`\n${END}`;
    const current = doc.includes(START) ? doc.slice(doc.indexOf(START), doc.indexOf(END) + END.length) : '';
    if (process.env.MESHWASM_UPDATE_DOCS === '1') {
      writeFileSync(DOC, current ? doc.replace(current, block) : `${doc.trimEnd()}\n\n${block}\n`);
      return;
    }
    expect(
      current,
      'docs/control-plane.md is stale: run MESHWASM_UPDATE_DOCS=1 npx vitest run test/observe/rollout-log.test.ts',
    ).toBe(block);
  }, 60_000);

  it('meshwasm status prints the truth after the NACK; status --watch streams the way back to Serving', async () => {
    // Spawned asynchronously: the control plane answering it runs in this process.
    const text = await runCli(['status', '--control-plane', cp.httpUrl]);
    expect(text.status).toBe(9);
    expect(text.stdout).toContain('WasmPlugin default/tagger  ServingPrevious (Ready=False)');
    expect(text.stdout).toContain(
      `wanted sha256:${sha256(v3).slice(0, 12)}; serving sha256:${sha256(v2).slice(0, 12)} on 1 proxy`,
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `proxy web-proxy: runs sha256:${sha256(v2).slice(0, 12)} \\(version \\w+\\); NACKed sha256:${sha256(v3).slice(0, 12)}`,
      ),
    );

    const child = spawn(
      process.execPath,
      [bin, 'status', '--watch', '--interval', '100', '-o', 'json', '--control-plane', cp.httpUrl],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const seen: Record<string, any>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => seen.push(JSON.parse(l)));
    try {
      const first = await eventually(
        () => seen.find((l) => l.extension === 'WasmPlugin/default/tagger'),
        'the first report',
      );
      expect(first.condition.reason).toBe('ServingPrevious');
      writeManifest(dir, 'tagger.yaml', manifest('v2.wasm'));
      const back = await eventually(
        () => seen.find((l) => l.previous === 'ServingPrevious' && l.condition.reason === 'Serving'),
        'the change back to Serving on the watch',
      );
      expect(back.serving).toEqual([{ digest: sha256(v2), proxies: 1 }]);
      expect(typeof back.time).toBe('string');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});

function runCli(args: string[]): Promise<{ status: number | null; stdout: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  return new Promise((r) => child.once('close', (status) => r({ status, stdout })));
}

/** The log as text lines, with what changes between runs replaced by stable names. */
function normalize(lines: Record<string, unknown>[], mods: Record<string, Uint8Array>, moduleUrl: string): string {
  const versions = new Map<string, string>();
  return lines
    .map((l) => {
      const { time: _t, durationMs: _d, ...rest } = l;
      let text = textLine(JSON.stringify(rest)).trimStart();
      for (const [name, m] of Object.entries(mods)) {
        const d = sha256(m);
        text = text.replaceAll(d, `<${name} digest>`).replaceAll(d.slice(0, 12), `<${name}>`);
      }
      text = text
        .replaceAll(moduleUrl, 'http://modules.example')
        .replace(/[^\s=]*meshwasm-rollout-[^/\s]+\//g, 'extensions/');
      return text.replace(/\b(version=)([0-9a-f]{16})\b/g, (_m, k: string, v: string) => {
        if (!versions.has(v)) versions.set(v, `<version ${versions.size + 1}>`);
        return k + versions.get(v)!;
      });
    })
    .join('\n');
}

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { modules } from './helpers/wat-modules.js';
import { analyzeYaml, codes, only, tempFile } from './helpers/setup.js';

/** An HTTP connection manager's wasm filter, as in an Envoy bootstrap or a config_dump. */
function envoyListener(
  filterName: string,
  vmConfig: Record<string, unknown>,
  pluginConfig?: string,
  rootId = '',
): string {
  return YAML.stringify({
    static_resources: {
      listeners: [
        {
          name: 'ingress',
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    http_filters: [
                      {
                        name: filterName,
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
                          config: {
                            name: filterName,
                            root_id: rootId,
                            ...(pluginConfig
                              ? {
                                  configuration: {
                                    '@type': 'type.googleapis.com/google.protobuf.StringValue',
                                    value: pluginConfig,
                                  },
                                }
                              : {}),
                            vm_config: vmConfig,
                          },
                        },
                      },
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  });
}

describe('analyze --envoy: Envoy wasm filter configs', () => {
  let server: Server;
  let base: string;
  const good = modules.good();
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/good.wasm') {
        res.writeHead(200, { 'content-type': 'application/wasm' });
        res.end(good);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('a local module next to the config loads; the config is ignored without --envoy', async () => {
    const wasmPath = tempFile('good.wasm', good);
    const cfgPath = join(dirname(wasmPath), 'envoy.yaml');
    writeFileSync(
      cfgPath,
      envoyListener('my_filter', { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: 'good.wasm' } } }),
    );
    const { readInputs, analyzeDocuments } = await import('../../analyze/index.js');
    const { docs } = await readInputs(cfgPath);
    const r = await analyzeDocuments(docs, { envoy: true });
    expect(codes(r)).toEqual(['MW0311']);
    expect(r.findings[0]!.subject).toBe('EnvoyWasm my_filter');
    expect((await analyzeDocuments(docs)).findings).toEqual([]);
  });

  it('MW0307 from an Envoy config: the StringValue configuration reaches on_configure', async () => {
    const path = tempFile('rejects.wasm', modules.rejectsConfig());
    const r = await analyzeYaml(
      [
        envoyListener(
          'authz',
          { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: path } } },
          '{"mode":"x"}',
        ),
      ],
      { envoy: true },
    );
    expect(only(r, 'MW0307').message).toContain('pluginConfig fields: mode; values not shown');
  });

  it('MW0501: the null runtime, and a vm_config with no code', async () => {
    const r = await analyzeYaml(
      [
        envoyListener('nullvm', {
          runtime: 'envoy.wasm.runtime.null',
          code: { local: { inline_string: 'envoy.wasm.stats' } },
        }),
        envoyListener('nocode', { runtime: 'envoy.wasm.runtime.v8' }),
      ],
      { envoy: true },
    );
    const f = r.findings.filter((x) => x.code === 'MW0501');
    expect(f.map((x) => x.subject)).toEqual(['EnvoyWasm nullvm', 'EnvoyWasm nocode']);
    expect(f[0]!.message).toContain('envoy.wasm.runtime.null');
  });

  it('MW0502: remote code without sha256', async () => {
    const r = await analyzeYaml(
      [
        envoyListener('remote', {
          runtime: 'envoy.wasm.runtime.v8',
          code: { remote: { http_uri: { uri: `${base}/good.wasm`, cluster: 'wasm', timeout: '5s' } } },
        }),
      ],
      { envoy: true },
    );
    expect(only(r, 'MW0502').message).toContain('/good.wasm');
  });

  it("MW0202: remote code whose sha256 is not the served module's; the right one loads", async () => {
    const right = createHash('sha256').update(good).digest('hex');
    const wrong = createHash('sha256').update('other').digest('hex');
    const vm = (sha256: string) => ({
      runtime: 'envoy.wasm.runtime.v8',
      code: { remote: { http_uri: { uri: `${base}/good.wasm`, cluster: 'wasm', timeout: '5s' }, sha256 } },
    });
    const bad = await analyzeYaml([envoyListener('remote', vm(wrong))], { envoy: true });
    expect(only(bad, 'MW0202').details).toEqual({ wrong, right });
    const ok = await analyzeYaml([envoyListener('remote', vm(right))], { envoy: true });
    expect(codes(ok)).toEqual(['MW0311']);
  });

  it('MW0102: remote code the server does not have', async () => {
    const r = await analyzeYaml(
      [
        envoyListener('gone', {
          runtime: 'envoy.wasm.runtime.v8',
          code: { remote: { http_uri: { uri: `${base}/gone.wasm` }, sha256: 'a'.repeat(64) } },
        }),
      ],
      { envoy: true },
    );
    expect(only(r, 'MW0102').details).toEqual({ status: 404 });
  });
});

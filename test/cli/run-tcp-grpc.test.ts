// `meshwasm run` scenarios for a TCP connection and a gRPC callout, through the built CLI, on the
// C fixtures test/fixtures/c/tcp.c and grpc.c (the examples of docs/run.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFixture } from '../fixtures/compile.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'mw-run-tcp-grpc-'));
let tcpWasm: string;
let grpcWasm: string;

beforeAll(async () => {
  tcpWasm = join(dir, 'tcp.wasm');
  writeFileSync(tcpWasm, await compileFixture('c/tcp.c'));
  grpcWasm = join(dir, 'grpc.wasm');
  writeFileSync(grpcWasm, await compileFixture('c/grpc.c'));
});

const TCP_SCENARIO = `
connections:
  - name: wrapped echo
    properties: { source.address: "192.0.2.1:40000" }
    steps:
      - downstream: "WRAP hello"
      - upstream: "lower answer"
      - downstream: ""
        end: true
      - upstream: ""
        end: true
  - name: closed by the filter
    steps:
      - downstream: "CLOSE now"
`;

const GRPC_SCENARIO = `
grpcClusters:
  echo: { messages: ["pong"], initialMetadata: { x-md: "1" } }
requests:
  - name: unary callout
    request:
      headers: { ":method": GET, ":path": /unary, ":authority": example.com }
  - name: stream callout
    request:
      headers: { ":method": GET, ":path": /stream, ":authority": example.com }
`;

describe('meshwasm run: TCP connections and gRPC callouts (built CLI)', () => {
  it('plays TCP connections step by step and reports both ends, the close and the logs (-o json)', () => {
    const scenario = join(dir, 'tcp.yaml');
    writeFileSync(scenario, TCP_SCENARIO);
    const r = meshwasm('run', tcpWasm, '-r', scenario, '-o', 'json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.requests).toEqual([]);
    const [echo, closed] = report.connections;
    expect(echo).toMatchObject({
      name: 'wrapped echo',
      upstream: { received: '[WRAP hello]', ended: true },
      downstream: { received: 'LOWER ANSWER', ended: true },
      closed: { by: 'client' },
    });
    expect(echo.logs.map((l: { message: string }) => l.message)).toContainEqual(
      expect.stringMatching(/^new id=\d+ src=192\.0\.2\.1:40000 /),
    );
    expect(echo.metrics['tcp.down_bytes']).toBe(10);
    expect(closed).toMatchObject({
      upstream: { received: '' },
      closed: { by: 'filter', reason: 'wasm_downstream_close' },
    });
  });

  it('prints TCP connections in text', () => {
    const scenario = join(dir, 'tcp-text.yaml');
    writeFileSync(scenario, TCP_SCENARIO);
    const r = meshwasm('run', tcpWasm, '-r', scenario);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('== wrapped echo (TCP)');
    expect(r.stdout).toContain('  upstream received: "[WRAP hello]" (ended)');
    expect(r.stdout).toContain('  connection: closed by filter (wasm_downstream_close)');
  });

  it('answers gRPC callouts from the scenario and reports each call (-o json and text)', () => {
    const scenario = join(dir, 'grpc.yaml');
    writeFileSync(scenario, GRPC_SCENARIO);
    const r = meshwasm('run', grpcWasm, '-r', scenario, '-o', 'json');
    expect(r.status, r.stderr).toBe(0);
    const [unary, stream] = JSON.parse(r.stdout).requests;
    expect(unary.upstream.headers).toContainEqual(['x-grpc', 'pong']);
    expect(unary.grpcCalls).toEqual([
      {
        kind: 'unary',
        cluster: 'echo',
        service: 'test.Echo',
        method: 'Say',
        initialMetadata: { 'x-user': 'alice' },
        timeoutMs: 1000,
        sent: ['hello'],
        outcome: { status: 0, message: '' },
      },
    ]);
    expect(stream.upstream.headers).toContainEqual(['x-stream-close', '0']);
    expect(stream.grpcCalls[0]).toMatchObject({ kind: 'stream', sent: ['a', 'b'] });
    const text = meshwasm('run', grpcWasm, '-r', scenario);
    expect(text.stdout).toContain('  grpc unary -> echo test.Echo/Say: status 0');
  });

  it('refuses a connection step it does not know, naming the file and the step (exit 3)', () => {
    const scenario = join(dir, 'bad.yaml');
    writeFileSync(scenario, 'connections:\n  - steps:\n      - shout: "x"\n');
    const r = meshwasm('run', tcpWasm, '-r', scenario);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('connections[0].steps[0] must be { downstream: "bytes" }');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  /** Filesystem storage root (docker/registry/v2/...). */
  dataDir: string;
  dir: string;
  stop(): Promise<void>;
}

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; htpasswdFile: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

/**
 * Starts Debian's real docker-registry (CNCF distribution 2.8) on 127.0.0.1 with an OS-chosen
 * port and filesystem storage in a temp dir; resolves once it reports its address and /v2/ answers.
 */
export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'meshwasm-registry-'));
  const dataDir = join(dir, 'data');
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: meshwasm-test-secret',
  ];
  if (auth.kind === 'htpasswd') lines.push('auth:', '  htpasswd:', '    realm: meshwasm-test', `    path: ${auth.htpasswdFile}`);
  if (auth.kind === 'token') {
    lines.push('auth:', '  token:', `    realm: ${auth.realm}`, `    service: ${auth.service}`, `    issuer: ${auth.issuer}`, `    rootcertbundle: ${auth.rootCertBundle}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolvePromise, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) resolvePromise(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`docker-registry exited with ${code} before listening:\n${log}`)));
    setTimeout(() => { child.kill(); reject(new Error(`docker-registry did not report its address within 20 s:\n${log}`)); }, 20_000).unref();
    child.on('error', reject);
  });
  // Keep draining its logs so the pipe never fills and blocks the registry.
  child.stdout!.resume();
  child.stderr!.resume();
  await waitForV2(host);
  return { host, dataDir, dir, stop: () => stopChild(child, dir) };
}

async function waitForV2(host: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry on ${host} never answered /v2/`);
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (process.env.MESHWASM_TEST_DEBUG) console.error('stopping registry', child.pid, child.exitCode, child.signalCode);
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    // distribution drains connections on SIGTERM; do not let a stuck drain hold the suite.
    const timer = setTimeout(() => {
      if (process.env.MESHWASM_TEST_DEBUG) console.error('registry ignored SIGTERM; killing', child.pid);
      child.kill('SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

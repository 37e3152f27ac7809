import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
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
export async function startRegistry(
  auth: RegistryAuth = { kind: 'none' },
  tls?: { certificate: string; key: string },
): Promise<RunningRegistry> {
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
  if (tls) lines.push('  tls:', `    certificate: ${tls.certificate}`, `    key: ${tls.key}`);
  if (auth.kind === 'htpasswd')
    lines.push('auth:', '  htpasswd:', '    realm: meshwasm-test', `    path: ${auth.htpasswdFile}`);
  if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${auth.rootCertBundle}`,
    );
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  // Logs go to a file, not a pipe: a pipe nobody drains (the test's event loop is blocked while
  // it runs the CLI with spawnSync) fills up and freezes the registry mid-request.
  const logPath = join(dir, 'registry.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exit ${code ?? signal}`;
  });
  let host: string | undefined;
  for (let waited = 0; !host; waited += 25) {
    const log = readFileSync(logPath, 'utf8');
    host = /listening on (127\.0\.0\.1:\d+)/.exec(log)?.[1];
    if (host) break;
    if (exited || waited > 20_000) {
      child.kill('SIGKILL');
      throw new Error(
        `docker-registry ${exited ? `ended (${exited})` : 'did not report its address within 20 s'}:\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await waitForV2(host, tls !== undefined);
  return { host, dataDir, dir, stop: () => stopChild(child, dir) };
}

async function waitForV2(host: string, tls: boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      // Over TLS with a self-signed certificate fetch cannot verify; any HTTP answer on the port means it is up.
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401 || (tls && res.status === 400)) return;
    } catch {
      /* not up yet */
    }
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

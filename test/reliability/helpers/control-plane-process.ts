// A real `meshwasm control-plane` process (bin/meshwasm.js runs dist/: `npm run build` first),
// on fixed loopback ports so a test can kill it and start it again where proxies expect it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

const bin = new URL('../../../bin/meshwasm.js', import.meta.url).pathname;

/** A port the OS just handed out and released: free for the process the test starts next. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ControlPlaneProcess {
  child: ChildProcess;
  xds: string;
  http: string;
  stderr: () => string;
  /** Sends the signal and resolves once the process has exited. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

export async function startControlPlaneProcess(opts: {
  configDir: string;
  cacheDir: string;
  xdsPort: number;
  httpPort: number;
  extraArgs?: string[];
}): Promise<ControlPlaneProcess> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'control-plane',
      '--config-dir',
      opts.configDir,
      '--cache-dir',
      opts.cacheDir,
      '--xds-listen',
      `127.0.0.1:${opts.xdsPort}`,
      '--http-listen',
      `127.0.0.1:${opts.httpPort}`,
      '-o',
      'json',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const ready = await new Promise<{ xds: string; http: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // -o json prints one (indented) JSON document once the control plane listens.
      try {
        resolve(JSON.parse(out) as { xds: string; http: string });
      } catch {
        /* not complete yet */
      }
    });
    child.once('exit', (code) => reject(new Error(`control-plane exited with ${code} before it was ready: ${err}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    xds: ready.xds,
    http: ready.http,
    stderr: () => err,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

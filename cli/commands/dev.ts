import path from 'node:path';
import { type CycleReport, startDev } from '../../dev/dev-loop.js';
import { readConfigArg } from '../config-arg.js';
import { CliError, ExitCode } from '../errors.js';
import { parseOutputFormat } from '../output.js';

interface DevCommandOptions {
  target?: 'release' | 'debug';
  config?: string;
  scenario?: string;
  upstream?: string;
  listen?: string;
  proxyAdmin?: string;
  filter?: string;
  /** --test alone: the "test" script; --test NAME: that script. */
  test?: string | true;
  output?: string;
}

/**
 * `meshwasm dev [dir]`: build, replay, swap, on every change, one line per cycle (JSON lines with
 * -o json). Runs until interrupted (Ctrl-C), then closes the proxy, letting requests finish.
 */
export async function dev(dir: string | undefined, opts: DevCommandOptions): Promise<void> {
  const format = parseOutputFormat(opts.output);
  const project = dir ?? '.';
  let listenHost = '127.0.0.1';
  let listenPort = 10000;
  if (opts.listen) {
    const m = /^(.*):(\d+)$/.exec(opts.listen);
    if (!m)
      throw new CliError(`dev: --listen "${opts.listen}" is not host:port (e.g. 127.0.0.1:10000)`, ExitCode.usage);
    listenHost = m[1]!;
    listenPort = Number(m[2]);
  }
  if (opts.proxyAdmin && opts.upstream)
    throw new CliError(
      'dev: pass either --upstream (dev runs its own proxy) or --proxy-admin (swap into a running one), not both',
      ExitCode.usage,
    );
  if (opts.proxyAdmin && !/^http:\/\/[^/]+\/?$/.test(opts.proxyAdmin))
    throw new CliError(
      `dev: --proxy-admin "${opts.proxyAdmin}" is not http://host:port (the proxy's --admin listener)`,
      ExitCode.usage,
    );
  const config = readConfigArg(opts.config);
  const print = (r: CycleReport) => {
    if (format === 'json') process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(`${line(r, project)}\n`);
  };
  const running = await startDev({
    dir: project,
    target: opts.target,
    configuration: config,
    scenario: opts.scenario,
    upstream: opts.upstream,
    listenHost,
    listenPort,
    proxyAdmin: opts.proxyAdmin,
    filterName: opts.filter,
    test: opts.test === true ? 'test' : opts.test,
    onCycle: print,
  });
  if (format !== 'json') {
    process.stdout.write(
      `watching ${path.join(project, 'assembly')}, asconfig.json and config.json${running.proxyUrl ? `; proxy on ${running.proxyUrl} -> ${opts.upstream}` : ''}${opts.proxyAdmin ? `; swapping into the proxy at ${opts.proxyAdmin}` : ''} (Ctrl-C stops)\n`,
    );
  } else if (running.proxyUrl) process.stdout.write(`${JSON.stringify({ proxy: running.proxyUrl })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function line(r: CycleReport, project: string): string {
  const time = new Date().toTimeString().slice(0, 8);
  const why = r.changed.length ? r.changed.join(', ') : 'start';
  const secs = `${(r.ms / 1000).toFixed(1)} s`;
  if (r.error) {
    const serving = r.proxyVersion ? `; proxy still serving ${r.proxyVersion}` : '';
    return `[${time}] #${r.cycle} ${why}: FAILED in ${secs}${serving}\n${indent(r.error)}`;
  }
  const parts = [`built ${path.relative(project, r.module ?? '') || r.module} (${r.sizeBytes} bytes)`];
  if (r.test) parts.push(`tests passed in ${(r.test.ms / 1000).toFixed(1)} s`);
  if (r.proxyVersion) parts.push(`proxy serving ${r.proxyVersion}`);
  if (r.scenario)
    parts.push(
      `scenario: ${r.scenario.requests} request(s) -> ${r.scenario.statuses.join(', ')}${r.scenario.traps ? `, ${r.scenario.traps} TRAPPED` : ''}`,
    );
  return `[${time}] #${r.cycle} ${why}: ${r.ok ? 'ok' : 'FAILED'} in ${secs}; ${parts.join('; ')}`;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

#!/usr/bin/env node
// Makes sure the Debian packages the tests use are installed, so `npm test` works on a fresh
// machine. As root it installs what is missing; otherwise it fails naming the one command to run.
// Tests never skip because a tool is missing: they rely on this having run first.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const wanted = readFileSync(new URL('./system-packages.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

function installed(pkg) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query field reference
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const missing = wanted.filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);

const line = `apt-get install -y ${missing.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.error(`meshwasm tests need Debian packages that are missing: ${missing.join(', ')}.\nRun: sudo ${line}`);
  process.exit(1);
}
console.error(`installing missing Debian packages: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
} catch {
  console.error(`could not install ${missing.join(', ')}; run: ${line}`);
  process.exit(1);
}
const still = missing.filter((p) => !installed(p));
if (still.length) {
  console.error(`still missing after apt-get: ${still.join(', ')}; run: ${line}`);
  process.exit(1);
}

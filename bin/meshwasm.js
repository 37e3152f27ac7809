#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'meshwasm: dist/ is missing; run "npm run build" in ' + fileURLToPath(new URL('..', import.meta.url)) + '\n',
  );
  process.exit(70);
}
await import(entry.href);

import path from 'node:path';
import { createProject, type TemplateName } from '../../scaffold/index.js';
import { parseOutputFormat, printResult } from '../output.js';

export interface InitCommandOptions {
  template?: string;
  name?: string;
  meshwasm?: string;
  yes?: boolean;
  force?: boolean;
  output?: string;
}

/** `meshwasm init <dir>`: write a filter project. It never prompts, so --yes changes nothing yet. */
export async function init(dir: string, opts: InitCommandOptions): Promise<void> {
  const format = parseOutputFormat(opts.output);
  const r = createProject({
    dir,
    template: (opts.template ?? 'blank') as TemplateName,
    name: opts.name,
    force: opts.force,
    meshwasmSpec: opts.meshwasm,
  });
  const relative = path.relative(process.cwd(), r.dir) || '.';
  const rel = relative.startsWith('..') ? r.dir : relative;
  printResult(format, r, () =>
    [
      ...r.files.map((f) => `${f.action === 'created' ? 'created    ' : 'overwritten'} ${path.join(rel, f.path)}`),
      '',
      `Next steps:`,
      `  cd ${rel}`,
      `  npm install`,
      `  npx meshwasm build`,
      `  npm test`,
    ].join('\n'),
  );
}

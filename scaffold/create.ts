import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../builder/package-root.js';
import { ScaffoldError } from './errors.js';
import { outputName, render } from './render.js';
import { adaptFilterReadme, rewriteImports } from './rewrite.js';
import { loadAsConfig } from '../builder/asconfig.js';
import { meshwasmSpec } from './meshwasm-spec.js';

export const TEMPLATES = ['blank', 'tcp', 'authz', 'telemetry', 'header-routing'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export interface CreateOptions {
  dir: string;
  template: TemplateName;
  /** npm package name; default: the directory's name. */
  name?: string;
  /** Overwrite files that exist. Default false: any existing file stops init before it writes. */
  force?: boolean;
  /** Checkout the project depends on and copies from; default: the one running. */
  meshwasmRoot?: string;
  /** package.json spec for meshwasm; default: `^<version>` from a package, `file:` from a checkout. */
  meshwasmSpec?: string;
}

export interface CreatedFile {
  /** Path relative to the project directory. */
  path: string;
  action: 'created' | 'overwritten';
}

export interface CreateResult {
  dir: string;
  template: TemplateName;
  files: CreatedFile[];
}

/** Example configuration file names a shipped filter may use, in order of preference. */
const FILTER_CONFIG_NAMES = ['config.example.json', 'example.config.json', 'config.json', 'examples/config.json'];

/** Writes a complete project, or nothing (every file is assembled and checked before writing). */
export function createProject(opts: CreateOptions): CreateResult {
  const root = opts.meshwasmRoot ?? packageRoot();
  if (!(TEMPLATES as readonly string[]).includes(opts.template)) {
    throw new ScaffoldError(
      `init: unknown template "${opts.template}"; use one of: ${TEMPLATES.join(', ')}`,
      'invalid-input',
    );
  }
  const dir = path.resolve(opts.dir);
  const name = opts.name ?? toPackageName(path.basename(dir));
  if (!/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name)) {
    throw new ScaffoldError(
      `init: "${name}" is not a valid npm package name; pass --name with lower-case letters, digits and dashes`,
      'invalid-input',
    );
  }
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const values: Record<string, string> = {
    name,
    template: opts.template,
    meshwasmSpec: meshwasmSpec(root, pkg.version, opts.meshwasmSpec),
    assemblyscriptVersion: pkg.dependencies?.assemblyscript ?? '^0.28.0',
    vitestVersion: pkg.devDependencies?.vitest ?? '^3.2.0',
    typescriptVersion: pkg.devDependencies?.typescript ?? '^5.9.0',
    typesNodeVersion: pkg.devDependencies?.['@types/node'] ?? '^20.19.0',
  };

  const own = templateFiles(root, opts.template);
  // The README's run line plays a scenario the project really has.
  values.scenario = [...own.keys()].filter((f) => /^examples\/.+\.ya?ml$/.test(f)).sort()[0] ?? 'examples/request.yaml';
  const files = new Map<string, string>();
  for (const [rel, text] of readTree(path.join(root, 'templates', 'common')))
    files.set(outputName(rel), render(text, values));
  // The template's asconfig.json extends the repository's base; the project gets it merged, standing alone.
  files.set(
    'asconfig.json',
    `${JSON.stringify(loadAsConfig(path.join(root, 'templates', 'common', 'asconfig.json')), null, 2)}\n`,
  );
  for (const [rel, text] of own) files.set(rel, text);

  const existing = [...files.keys()].filter((rel) => existsSync(path.join(dir, rel)));
  if (existing.length && !opts.force) {
    throw new ScaffoldError(
      `init: ${dir} already has ${existing.map((f) => `"${f}"`).join(', ')}; nothing was written. ` +
        'Pick an empty directory, or pass --force to overwrite these files',
      'invalid-input',
    );
  }
  const written: CreatedFile[] = [];
  for (const [rel, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const abs = path.join(dir, rel);
    const action = existsSync(abs) ? 'overwritten' : 'created';
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    written.push({ path: rel, action });
  }
  return { dir, template: opts.template, files: written };
}

/** The template's own files: templates/blank or templates/tcp, or a shipped filter adapted to stand alone. */
function templateFiles(root: string, template: TemplateName): Map<string, string> {
  if (template === 'blank' || template === 'tcp') return readTree(path.join(root, 'templates', template));
  const filterDir = path.join(root, 'filters', template);
  if (!existsSync(path.join(filterDir, 'assembly', 'index.ts'))) {
    throw new ScaffoldError(
      `init: template "${template}" is not available in this meshwasm (${root}): ` +
        `the shipped filter filters/${template}/ is not there yet. Use --template blank, or update meshwasm`,
      'not-found',
    );
  }
  const out = new Map<string, string>();
  for (const [rel, text] of readTree(path.join(filterDir, 'assembly')))
    out.set(`assembly/${rel}`, rewriteImports(text));
  if (existsSync(path.join(filterDir, 'test'))) {
    for (const [rel, text] of readTree(path.join(filterDir, 'test'))) out.set(`test/${rel}`, rewriteImports(text));
  }
  const configName = FILTER_CONFIG_NAMES.find((n) => existsSync(path.join(filterDir, n)));
  if (!configName) {
    throw new ScaffoldError(
      `init: filters/${template}/ has no example configuration (${FILTER_CONFIG_NAMES.join(' or ')}); ` +
        'the template cannot be used until it has one',
      'not-found',
    );
  }
  out.set('config.json', readFileSync(path.join(filterDir, configName), 'utf8'));
  // What the filter's README names (the schema, the example, the scenarios its commands play)
  // comes along, so every command FILTER.md shows runs as written in the new project.
  for (const name of ['config.schema.json', 'config.example.json']) {
    if (existsSync(path.join(filterDir, name))) out.set(name, readFileSync(path.join(filterDir, name), 'utf8'));
  }
  if (existsSync(path.join(filterDir, 'examples'))) {
    for (const [rel, text] of readTree(path.join(filterDir, 'examples'))) out.set(`examples/${rel}`, text);
  }
  if (existsSync(path.join(filterDir, 'README.md')))
    out.set('FILTER.md', adaptFilterReadme(readFileSync(path.join(filterDir, 'README.md'), 'utf8')));
  return out;
}

function readTree(base: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const ent of readdirSync(path.join(base, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (ent.name === 'node_modules' || ent.name === 'build' || ent.name === 'fixtures') continue;
        walk(r);
      } else if (statSync(path.join(base, r)).isFile() && !ent.name.endsWith('.wasm')) {
        out.set(r, readFileSync(path.join(base, r), 'utf8'));
      }
    }
  };
  walk('');
  return out;
}

function toPackageName(base: string): string {
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9-._~]+/g, '-')
      .replace(/^[-._]+/, '') || 'filter'
  );
}

import { cpSync, existsSync, rmSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../cli/errors.js';
import { createProject, rewriteImports } from '../../scaffold/index.js';
import { meshwasm } from './build-fixture.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'mw-init-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const BLANK_FILES = [
  '.gitignore',
  'README.md',
  'asconfig.json',
  'assembly/index.ts',
  'assembly/tsconfig.json',
  'config.json',
  'examples/request.yaml',
  'package.json',
  'test/filter.test.ts',
  'tsconfig.json',
  'vitest.config.ts',
];

describe('meshwasm init', () => {
  it('writes a complete blank project and prints each file', async () => {
    const dir = path.join(tempDir(), 'my-filter');
    const r = await meshwasm('init', dir, '--template', 'blank', '--yes');
    expect(r.status).toBe(0);
    for (const f of BLANK_FILES) {
      expect(existsSync(path.join(dir, f))).toBe(true);
      expect(r.stdout).toContain(`created     ${path.join(dir, f)}`);
    }
    expect(r.stdout).toContain('npx meshwasm build');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('my-filter');
    expect(pkg.devDependencies.meshwasm).toBe(`file:${repo.replace(/\/$/, '')}`);
    // Run from this git checkout, the project depends on it by path (an installed meshwasm writes
    // ^version: test/scaffold/package-install.test.ts).
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain(
      `"meshwasm": "file:${repo.replace(/\/$/, '')}"`,
    );
    expect(pkg.scripts.typecheck).toBe('tsc --noEmit -p tsconfig.json');
    expect(pkg.devDependencies.typescript).toBeDefined();
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('--scenario examples/request.yaml');
    expect(readFileSync(path.join(dir, 'test/filter.test.ts'), 'utf8')).toContain("from 'meshwasm/harness'");
    expect(readFileSync(path.join(dir, 'assembly/index.ts'), 'utf8')).toContain('export * from "meshwasm/sdk/exports"');
  });

  it('-o json lists the files it created', async () => {
    const dir = path.join(tempDir(), 'p');
    const r = await meshwasm('init', dir, '-o', 'json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { dir: string; template: string; files: { path: string; action: string }[] };
    expect(out).toMatchObject({ dir, template: 'blank' });
    expect(out.files.map((f) => f.path).sort()).toEqual([...BLANK_FILES].sort());
    expect(out.files.every((f) => f.action === 'created')).toBe(true);
  });

  it('never overwrites an existing file without --force, and writes nothing then', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'package.json'), '{"name":"mine"}');
    const r = await meshwasm('init', dir);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('"package.json"');
    expect(r.stderr).toContain('--force');
    expect(readdirSync(dir)).toEqual(['package.json']);
    expect(readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}');

    const forced = await meshwasm('init', dir, '--force', '-o', 'json');
    expect(forced.status).toBe(0);
    const files = (JSON.parse(forced.stdout) as { files: { path: string; action: string }[] }).files;
    expect(files.find((f) => f.path === 'package.json')?.action).toBe('overwritten');
    expect(files.find((f) => f.path === 'asconfig.json')?.action).toBe('created');
  });

  it('rejects an unknown template with the list of templates (usage error)', async () => {
    const r = await meshwasm('init', path.join(tempDir(), 'x'), '--template', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('blank');
  });
});

describe('scaffold from a shipped filter (filters/<name>/)', () => {
  /** A meshwasm checkout with a shipped filter laid out as filters/ will be. */
  function fakeCheckout(): string {
    const root = tempDir();
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({
        name: 'meshwasm',
        version: '1.2.3',
        dependencies: { assemblyscript: '^0.28.20' },
        devDependencies: { vitest: '^3.2.7' },
      }),
    );
    cpSync(path.join(repo, 'templates'), path.join(root, 'templates'), { recursive: true });
    // templates/common/asconfig.json extends the checkout's base asconfig.json.
    cpSync(path.join(repo, 'asconfig.json'), path.join(root, 'asconfig.json'));
    const f = path.join(root, 'filters/authz');
    mkdirSync(path.join(f, 'assembly/rules'), { recursive: true });
    mkdirSync(path.join(f, 'test'), { recursive: true });
    writeFileSync(
      path.join(f, 'assembly/index.ts'),
      'import { RootContext } from "../../../sdk";\nexport * from "../../../sdk/exports";\nimport { rule } from "./rules/rule";\n',
    );
    writeFileSync(
      path.join(f, 'assembly/rules/rule.ts'),
      'import { HttpContext } from "../../../../sdk/index";\nexport const rule = 1;\n',
    );
    writeFileSync(
      path.join(f, 'test/authz.test.ts'),
      "import { createHarness } from '../../../host-sim/harness/index.js';\nimport { helper } from './helper.js';\n",
    );
    writeFileSync(path.join(f, 'test/helper.ts'), 'export const helper = 1;\n');
    writeFileSync(path.join(f, 'config.example.json'), '{"rules":[]}\n');
    writeFileSync(path.join(f, 'config.schema.json'), '{"type":"object"}\n');
    mkdirSync(path.join(f, 'examples'));
    writeFileSync(path.join(f, 'examples/deny.yaml'), 'requests: []\n');
    writeFileSync(
      path.join(f, 'README.md'),
      '# authz\n\nSee `docs/sdk.md`.\n\n```sh\nmeshwasm run build/release.wasm -r examples/deny.yaml\nnpm test\n```\n',
    );
    return root;
  }

  it("copies the filter's sources, tests, example config and README with imports made standalone", () => {
    const root = fakeCheckout();
    const dir = path.join(tempDir(), 'authz-copy');
    const r = createProject({ dir, template: 'authz', meshwasmRoot: root });
    const files = r.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'assembly/index.ts',
        'assembly/rules/rule.ts',
        'test/authz.test.ts',
        'test/helper.ts',
        'config.json',
        'config.example.json',
        'config.schema.json',
        'examples/deny.yaml',
        'FILTER.md',
        'package.json',
        'asconfig.json',
      ]),
    );
    // FILTER.md's commands run in the project as written: meshwasm is a dev dependency there.
    const filterMd = readFileSync(path.join(dir, 'FILTER.md'), 'utf8');
    expect(filterMd).toContain('npx meshwasm run build/release.wasm -r examples/deny.yaml\nnpm test\n');
    expect(filterMd).toContain('`node_modules/meshwasm/docs/sdk.md`');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('--scenario examples/deny.yaml');
    expect(readFileSync(path.join(dir, 'assembly/index.ts'), 'utf8')).toBe(
      'import { RootContext } from "meshwasm/sdk";\nexport * from "meshwasm/sdk/exports";\nimport { rule } from "./rules/rule";\n',
    );
    expect(readFileSync(path.join(dir, 'assembly/rules/rule.ts'), 'utf8')).toContain('from "meshwasm/sdk"');
    expect(readFileSync(path.join(dir, 'test/authz.test.ts'), 'utf8')).toBe(
      "import { createHarness } from 'meshwasm/harness';\nimport { helper } from './helper.js';\n",
    );
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe('{"rules":[]}\n');
    // Not a git checkout (no .git): an installed package, so the release line.
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).devDependencies.meshwasm).toBe('^1.2.3');
  });

  it('depends on a git checkout by path, and --meshwasm overrides either', () => {
    const root = fakeCheckout();
    mkdirSync(path.join(root, '.git'));
    const spec = (dir: string) =>
      JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).devDependencies.meshwasm;
    const a = path.join(tempDir(), 'from-checkout');
    createProject({ dir: a, template: 'authz', meshwasmRoot: root });
    expect(spec(a)).toBe(`file:${root}`);
    const b = path.join(tempDir(), 'overridden');
    createProject({ dir: b, template: 'authz', meshwasmRoot: root, meshwasmSpec: 'github:me/meshwasm#v1' });
    expect(spec(b)).toBe('github:me/meshwasm#v1');
  });

  it('says a template is not available while its shipped filter is missing (exit 5), writing nothing', () => {
    const root = fakeCheckout();
    rmSync(path.join(root, 'filters/authz'), { recursive: true });
    const dir = path.join(tempDir(), 'authz-missing');
    let err: unknown;
    try {
      createProject({ dir, template: 'authz', meshwasmRoot: root });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('template "authz" is not available');
    expect((err as Error).message).toContain('--template blank');
    expect(exitCodeFor(err)).toBe(5);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a shipped filter without an example configuration, writing nothing', () => {
    const root = fakeCheckout();
    const dir = path.join(tempDir(), 'authz-noconfig');
    rmSync(path.join(root, 'filters/authz/config.example.json'));
    expect(() => createProject({ dir, template: 'authz', meshwasmRoot: root })).toThrow(/has no example configuration/);
    expect(existsSync(dir)).toBe(false);
  });

  it('rewrites only imports that leave the filter for sdk/ or host-sim/harness', () => {
    expect(rewriteImports('import { x } from "./local";')).toBe('import { x } from "./local";');
    expect(rewriteImports("import v from 'vitest';")).toBe("import v from 'vitest';");
    expect(rewriteImports('import { a } from "../../../sdk/header_map";')).toBe(
      'import { a } from "meshwasm/sdk/header_map";',
    );
    expect(rewriteImports('import { a } from "../../../registry/index.js";')).toBe(
      'import { a } from "../../../registry/index.js";',
    );
  });
});

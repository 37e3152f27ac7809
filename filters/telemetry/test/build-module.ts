import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The filter's release module, compiled from source when this filter sits inside the meshwasm
 * checkout (so tests always run the code under test); a project made by `meshwasm init` has no
 * builder/ beside it and uses the module its `npm test` built first.
 */
export async function releaseModule(): Promise<string> {
  const projectDir = fileURLToPath(new URL('..', import.meta.url));
  const builder = new URL('../../../builder/index.ts', import.meta.url);
  if (existsSync(builder)) {
    const { buildProject } = (await import(builder.href)) as typeof import('../../../builder/index.js');
    return (await buildProject({ dir: projectDir, target: 'release' })).outFile;
  }
  return fileURLToPath(new URL('../build/release.wasm', import.meta.url));
}

import { openTarget } from '../../registry/index.js';
import { parseOutputFormat, printResult } from '../output.js';
import { targetOptions, type RegistryFlags } from './registry-options.js';

/** `meshwasm tags <repo>`: the tags a repository holds, sorted; a tag or digest in REF is ignored. */
export async function tags(ref: string, flags: RegistryFlags & { output?: string }): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const { ref: parsed, target } = openTarget(ref, await targetOptions('tags', flags));
  const list = [...(await target.tags())].sort();
  const repository = parsed.kind === 'layout' ? `oci:${parsed.path}` : `${parsed.registry}/${parsed.repository}`;
  printResult(format, { repository, tags: list }, () =>
    list.length ? list.join('\n') : `${repository} has no tags yet; push one with "meshwasm push MODULE ${ref}:TAG"`,
  );
}

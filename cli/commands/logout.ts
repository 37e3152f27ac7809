import { logout as registryLogout } from '../../registry/index.js';
import { parseOutputFormat, printResult } from '../output.js';

export async function logout(registry: string, flags: { output?: string }): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const r = await registryLogout(registry);
  printResult(format, r, () =>
    r.removed
      ? `removed credentials for ${r.registry} from ${r.configPath}`
      : `no credentials for ${r.registry} in ${r.configPath}; nothing to do`,
  );
}

import { InvalidArgumentError } from 'commander';

/** One `--module` of `meshwasm proxy` with the per-module flags written after it. */
export interface ModuleArg {
  file: string;
  config?: string;
  rootId?: string;
  failStrategy?: string;
  name?: string;
}

const FAIL_STRATEGIES = ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'];

/**
 * `--module a.wasm --config x --module b.wasm --config y`: commander calls option parsers in
 * command-line order, so each per-module flag applies to the `--module` before it.
 */
export function moduleArgsCollector() {
  const modules: ModuleArg[] = [];
  const last = (flag: string) => {
    const m = modules[modules.length - 1];
    if (!m)
      throw new InvalidArgumentError(`${flag} applies to the --module before it; write --module <file.wasm> first`);
    return m;
  };
  return {
    modules,
    module: (v: string) => {
      modules.push({ file: v });
      return modules;
    },
    config: (v: string) => {
      last('--config').config = v;
      return v;
    },
    rootId: (v: string) => {
      last('--root-id').rootId = v;
      return v;
    },
    name: (v: string) => {
      last('--name').name = v;
      return v;
    },
    failStrategy: (v: string) => {
      if (!FAIL_STRATEGIES.includes(v)) throw new InvalidArgumentError(`use one of ${FAIL_STRATEGIES.join(', ')}`);
      last('--fail-strategy').failStrategy = v;
      return v;
    },
  };
}

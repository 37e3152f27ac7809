import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';

/**
 * Every meshwasm command is declared here, and only here. Each action loads its own small
 * module from ./commands/ (lazily, so `meshwasm --help` stays fast) and that module wires
 * the folders below cli/ together.
 */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** `-o` as every reporting command spells it. */
export const outputOption = (choices: string[] = ['text', 'json'], dflt = 'text') =>
  new Option('-o, --output <format>', 'output format').choices(choices).default(dflt);

/** Repeatable `--flag k=v` style options collect into an array. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('meshwasm')
    .description('Author, run, test, benchmark, push and attach proxy-wasm filters for Envoy and Istio')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run "meshwasm help <command>" for its options)')
    .configureHelp({ sortSubcommands: false })
    // Set before commands are added so every subcommand inherits it: main.ts maps usage errors to exit 2.
    .exitOverride();

  // --- host simulator (host-sim/) ---------------------------------------------------------
  program
    .command('run')
    .description('play requests from a YAML scenario through a module in the host simulator')
    .argument('<module>', 'path to a proxy-wasm module (.wasm)')
    .requiredOption('-r, --request <file>', 'YAML scenario with requests (see docs/run.md)')
    .option('-c, --config <json|@file>', 'plugin configuration (JSON text, or @path to a file)')
    .option('--vm-config <json|@file>', 'VM configuration passed to proxy_on_vm_start')
    .option('--root-id <id>', 'root id of the plugin to run', '')
    .addOption(new Option('--fail-strategy <policy>', 'what a request sees when the filter traps').choices(['FAIL_CLOSE', 'FAIL_OPEN']).default('FAIL_CLOSE'))
    .addOption(outputOption())
    .action(async (module: string, opts) => (await import('./commands/run.js')).run(module, opts));

  // --- authoring: init, build (sdk/) ---
  // (commands of this area are declared here)

  // --- registry: push, pull, inspect, login, logout (registry/) ---
  // (commands of this area are declared here)

  // --- attach, control-plane, status (control-plane/) ---
  // (commands of this area are declared here)

  // --- proxy, demo ---
  // (commands of this area are declared here)

  // --- bench ---
  // (commands of this area are declared here)

  // --- analyze ---
  // (commands of this area are declared here)

  return program;
}

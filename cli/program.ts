import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { moduleArgsCollector } from './module-args.js';

/**
 * Every meshwasm command is declared here, and only here. Each action loads its own small
 * module from ./commands/ (lazily, so `meshwasm --help` stays fast) and that module wires
 * the folders below cli/ together.
 */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** `-o` as every reporting command spells it. */
export const outputOption = (
  choices: string[] = ['text', 'json'],
  dflt = 'text',
  aliases: Record<string, string> = {},
) =>
  new Option('-o, --output <format>', 'output format')
    .choices(choices)
    .default(dflt)
    .argParser((value: string) => {
      // Old spellings of the human format (bench's "table", attach's "yaml") until 0.3.
      const canonical = aliases[value];
      if (canonical) {
        process.stderr.write(`meshwasm: -o ${value} is now -o ${canonical}; "${value}" is accepted until 0.3\n`);
        return canonical;
      }
      if (!choices.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
      return value;
    });

/** Repeatable `--flag k=v` style options collect into an array. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('meshwasm')
    .description('Author, run, test, benchmark, push and attach proxy-wasm filters for Envoy and Istio')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run "meshwasm help <command>" for its options)')
    .configureHelp({ sortSubcommands: false })
    // Set before commands are added so every subcommand inherits it: main.ts maps usage errors to exit 2.
    .exitOverride();

  // --- host simulator (host-sim/) ---------------------------------------------------------
  program
    .command('run')
    .description('play requests from a YAML scenario (or one default request) through a module in the host simulator')
    .argument('<module>', 'path to a proxy-wasm module (.wasm)')
    .option('-s, --scenario <file>', 'YAML scenario with requests (docs/run.md); default: one GET answered 200')
    .addOption(new Option('-r, --request <file>', 'old spelling of --scenario (until 0.3)').hideHelp())
    .option(
      '--inspect-brk [host:port]',
      'wait for a debugger (DevTools, VS Code) and pause with the module loaded, to break in its .ts source (debug builds; default 127.0.0.1:9229)',
    )
    .option('-c, --config <json|@file>', 'plugin configuration (JSON text, or @path to a file)')
    .option('--vm-config <json|@file>', 'VM configuration passed to proxy_on_vm_start')
    .option('--root-id <id>', 'root id of the plugin to run', '')
    .addOption(
      new Option('--fail-strategy <policy>', 'what a request sees when the filter traps')
        .choices(['FAIL_CLOSE', 'FAIL_OPEN'])
        .default('FAIL_CLOSE'),
    )
    .option('--envoy-version <1.MINOR>', 'Envoy release whose imports the module may use (default: the newest known)')
    .option('--verbose', 'print the full guest output when start-up or configuration traps (-v is --version)')
    .addOption(outputOption())
    .action(async (module: string, opts) => (await import('./commands/run.js')).run(module, opts));

  // --- authoring: init, build (sdk/) ---
  program
    .command('init')
    .description('create a filter project (AssemblyScript, tests included) from a template')
    .argument('<dir>', 'directory to create the project in')
    .addOption(
      new Option('-t, --template <name>', 'project template')
        .choices(['blank', 'tcp', 'authz', 'telemetry', 'header-routing'])
        .default('blank'),
    )
    .option('--name <name>', 'package name (default: the directory name)')
    .option(
      '--meshwasm <spec>',
      'package.json spec for meshwasm (default: ^<this version>, or file:<checkout> when run from a git checkout)',
    )
    .option('-y, --yes', 'accept defaults without asking')
    .option('-f, --force', 'overwrite files that already exist')
    .addOption(outputOption())
    .action(async (dir: string, opts) => (await import('./commands/init.js')).init(dir, opts));

  program
    .command('build')
    .description('compile a filter project with asc and check the module (ABI marker, callbacks, imports)')
    .argument('[dir]', 'project directory (holds asconfig.json and assembly/)', '.')
    .addOption(new Option('--target <target>', 'asconfig.json target').choices(['release', 'debug']).default('release'))
    .option('--out <file>', "write the module here instead of the target's outFile (default build/<target>.wasm)")
    .option(
      '--no-compress-data',
      'keep the data segments as asc wrote them (release builds store them compressed, expanded at start-up)',
    )
    .addOption(outputOption())
    .action(async (dir: string, opts) => (await import('./commands/build.js')).build(dir, opts));

  program
    .command('dev')
    .description(
      'watch a filter project: rebuild on every change, replay a scenario, hot-swap into a proxy; one line per cycle',
    )
    .argument('[dir]', 'project directory (holds asconfig.json and assembly/)', '.')
    .addOption(new Option('--target <target>', 'asconfig.json target').choices(['release', 'debug']).default('release'))
    .option('-c, --config <json|@file>', "plugin configuration (default: the project's config.json)")
    .option('-s, --scenario <file>', 'YAML scenario (the format of "meshwasm run") replayed after each good build')
    .option('--upstream <url>', 'also run "meshwasm proxy" in front of this upstream and swap each good build into it')
    .option('--listen <host:port>', 'with --upstream: where the proxy listens', '127.0.0.1:10000')
    .option(
      '--proxy-admin <url>',
      'swap each good build into a running "meshwasm proxy --admin PORT --hot-swap" (its admin URL) instead',
    )
    .option('--filter <name>', "with --proxy-admin: the filter to swap (default: the project's package name)")
    .option(
      '--test [script]',
      'run "npm run <script>" (default: test) after each good build; failing tests keep the last good module serving',
    )
    .addOption(outputOption())
    .action(async (dir: string, opts) => (await import('./commands/dev.js')).dev(dir, opts));

  // --- registry: push, pull, inspect, login, logout (registry/) ---
  const registryFlags = (cmd: Command, withCredentials = true) => {
    cmd
      .option('--plain-http', 'talk http:// instead of https:// (automatic for localhost and 127.0.0.1)')
      .option('--insecure', 'skip TLS verification, and fall back to http:// if the registry speaks no TLS');
    if (withCredentials) {
      cmd
        .option('-u, --username <user>', 'registry user (default: credentials from the docker config)')
        .option('--password-stdin', 'read the password from stdin (with --username)')
        .option('--max-size <size>', 'largest blob or module accepted, e.g. 64MiB', '256MiB');
    }
    return cmd;
  };

  // --- signing: keygen, sign, verify, push --sign (registry/signing/, docs/signing.md) ---
  const signingFlags = (cmd: Command) =>
    cmd
      .option('--key <file>', 'sign with this private key (from "meshwasm keygen")')
      .option('--keyless', 'sign with a Fulcio certificate for an OIDC identity, logged in Rekor')
      .option(
        '--passphrase-stdin',
        'read the private key passphrase from stdin (default: $MESHWASM_PASSWORD, $COSIGN_PASSWORD)',
      )
      .option('--identity-token <token|@file>', '--keyless: OIDC identity token (default: $SIGSTORE_ID_TOKEN)')
      .option('--fulcio-url <url>', '--keyless: Fulcio instance', 'https://fulcio.sigstore.dev')
      .option('--rekor-url <url>', '--keyless: Rekor instance', 'https://rekor.sigstore.dev');
  program
    .command('keygen')
    .description('create an ECDSA P-256 key pair for signing modules: PREFIX.key (encrypted) and PREFIX.pub')
    .option('--output-key-prefix <prefix>', 'file name prefix', 'meshwasm')
    .option('--passphrase-stdin', 'read the passphrase from stdin (default: $MESHWASM_PASSWORD, $COSIGN_PASSWORD)')
    .option('-f, --force', 'replace existing files')
    .addOption(outputOption())
    .action(async (opts) => (await import('./commands/keygen.js')).keygen(opts));
  signingFlags(
    registryFlags(
      program
        .command('sign')
        .description("sign an image's manifest digest; the Sigstore bundle is stored as an OCI referrer")
        .argument('<ref>', 'host[:port]/repo:tag|@sha256:..., oci:DIR:tag, or repo:tag')
        .addOption(outputOption()),
    ),
  ).action(async (ref: string, opts) => (await import('./commands/sign.js')).sign(ref, opts));
  registryFlags(
    program
      .command('verify')
      .description("verify an image's signatures (bundle referrers and cosign's .sig tag); exit 9 when none verifies")
      .argument('<ref>', 'host[:port]/repo:tag|@sha256:..., oci:DIR:tag, or repo:tag')
      .option('--key <file>', 'trust this public key (repeatable)', collect)
      .option('--certificate-identity <subject>', 'trust keyless signatures by this identity (email or workflow URI)')
      .option('--certificate-oidc-issuer <url>', 'the OIDC issuer of --certificate-identity')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json (Fulcio, Rekor, CT keys) for keyless signatures')
      .addOption(outputOption()),
  ).action(async (ref: string, opts) => (await import('./commands/verify.js')).verify(ref, opts));

  registryFlags(
    program
      .command('push')
      .description(
        'push a module as an OCI image Istio and Envoy Gateway load; prints the manifest digest, module sha256 and pinned reference',
      )
      .argument('<module>', 'path to a proxy-wasm module (.wasm)')
      .argument('<ref>', 'host[:port]/repo:tag, oci:DIR:tag, or repo:tag for the local OCI layout store')
      .addOption(
        new Option(
          '--format <format>',
          'image layout: wasm (two-layer wasm OCI variant) or compat (OCI image, plugin.wasm in tar+gzip)',
        )
          .choices(['wasm', 'compat'])
          .default('wasm'),
      )
      .option('--annotation <key=value>', 'manifest annotation (repeatable)', collect)
      .option('--root-id <id>', 'root id the module registers, recorded in the image config (repeatable)', collect)
      .option('--sign', 'sign the pushed manifest (with --key or --keyless, as "meshwasm sign")')
      .option('--force', 'push a module that fails the checks "meshwasm build" applies')
      .addOption(outputOption()),
  );
  signingFlags(program.commands.find((c) => c.name() === 'push')!).action(async (module: string, ref: string, opts) =>
    (await import('./commands/push.js')).push(module, ref, opts),
  );

  registryFlags(
    program
      .command('pull')
      .description('pull a module from any layout Istio loads (wasm variant, compat, Docker image), digest-checked')
      .argument('<ref>', 'host[:port]/repo:tag|@sha256:..., oci:DIR:tag, or repo:tag')
      .option('--out <file>', 'where to write the module (default: <repository name>.wasm); -o is the report format')
      .option('--deadline <duration>', 'give up when the whole pull (retries included) takes longer, e.g. 90s', '300s')
      .addOption(outputOption()),
  ).action(async (ref: string, opts) => (await import('./commands/pull.js')).pull(ref, opts));

  registryFlags(
    program
      .command('inspect')
      .description('show an image: format, media types, sizes, ABI versions, root ids, digests')
      .argument('<ref>', 'host[:port]/repo:tag|@sha256:..., oci:DIR:tag, or repo:tag')
      .option('--deadline <duration>', 'give up when the whole inspection (retries included) takes longer', '300s')
      .addOption(outputOption()),
  ).action(async (ref: string, opts) => (await import('./commands/inspect.js')).inspect(ref, opts));

  registryFlags(
    program
      .command('tags')
      .description('list the tags of a repository (remote, or an OCI image layout)')
      .argument('<ref>', 'host[:port]/repo, oci:DIR, or repo for the local OCI layout store (a :tag is ignored)')
      .addOption(outputOption()),
  ).action(async (ref: string, opts) => (await import('./commands/tags.js')).tags(ref, opts));

  registryFlags(
    program
      .command('login')
      .description(
        'check credentials against a registry and store them in the docker config (or its credential helper)',
      )
      .argument('<registry>', 'registry host[:port]')
      .option('-u, --username <user>', 'registry user')
      .option('--password-stdin', 'read the password from stdin')
      .addOption(outputOption()),
    false,
  ).action(async (registry: string, opts) => (await import('./commands/login.js')).login(registry, opts));

  program
    .command('logout')
    .description('remove stored credentials for a registry from the docker config (or its credential helper)')
    .argument('<registry>', 'registry host[:port]')
    .addOption(outputOption())
    .action(async (registry: string, opts) => (await import('./commands/logout.js')).logout(registry, opts));

  // --- attach, control-plane, status (control-plane/) ---
  program
    .command('attach')
    .description(
      'print (or --apply) a WasmPlugin/TrafficExtension manifest that attaches a pushed module, pinned by digest',
    )
    .argument('<ref>', 'registry/repo:tag, registry/repo@sha256:..., oci://..., or an http(s):// URL of a .wasm')
    .requiredOption('--name <name>', 'name of the WasmPlugin/TrafficExtension')
    .option('--namespace <ns>', 'namespace of the resource', 'default')
    .option('--selector <k=v>', 'workload label to match (repeatable)', collect)
    .option('--target-ref <Kind/name>', 'attach to a Gateway or Service instead of a selector (repeatable)', collect)
    .addOption(new Option('--phase <phase>', 'where in the filter chain').choices(['AUTHN', 'AUTHZ', 'STATS']))
    .option('--priority <n>', 'ordering within the phase (higher first)')
    .option('-c, --config <json|@file>', 'pluginConfig (JSON text, or @path to a JSON/YAML file)')
    .addOption(
      new Option('--fail-strategy <policy>', 'behaviour on fatal errors').choices([
        'FAIL_CLOSE',
        'FAIL_OPEN',
        'FAIL_RELOAD',
      ]),
    )
    .addOption(
      new Option('--kind <kind>', 'resource kind (EnvoyExtensionPolicy: Envoy Gateway)')
        .choices(['WasmPlugin', 'TrafficExtension', 'EnvoyExtensionPolicy'])
        .default('WasmPlugin'),
    )
    .option('--pull-secret <secret>', 'imagePullSecret for private registries')
    .addOption(new Option('--pull-policy <policy>', 'imagePullPolicy').choices(['IfNotPresent', 'Always']))
    .option('--root-id <id>', 'pluginName (root id) of the plugin inside the module')
    .option('--envoy', 'print the equivalent Envoy HTTP filter config instead (for Envoy without Istio)')
    .option(
      '--envoy-version <x.y>',
      'with --envoy: the Envoy release it is for (FAIL_RELOAD needs 1.33+; default: a current Envoy)',
    )
    .option(
      '--module-base-url <url>',
      'with --envoy: where Envoy downloads the module (a meshwasm control plane)',
      'http://127.0.0.1:18001',
    )
    .option(
      '--apply',
      'kubectl apply to the cluster of --context/--kubeconfig (never the current context by itself); without them write into --config-dir',
    )
    .option('--context <name>', 'with --apply: the kubeconfig context to apply to')
    .option('--kubeconfig <file>', 'with --apply: the kubeconfig to use (its current context unless --context)')
    .option(
      '--dry-run <mode>',
      "with --apply: server, client or none, as kubectl's --dry-run (server: the API server validates, nothing is stored)",
    )
    .option('--config-dir <dir>', "the local control plane's manifest directory", '.meshwasm/extensions')
    .option('--no-analyze', 'skip the "meshwasm analyze" checks of the emitted manifest')
    .option('--force', 'print or apply even when the checks fail (their findings are still printed)')
    .addOption(
      new Option(
        '--failure-threshold <severity>',
        'fail (exit 9, nothing applied) on analyze findings at or above this',
      )
        .choices(['Info', 'Warning', 'Error'])
        .default('Error'),
    )
    .option('--plain-http', 'plain HTTP to the registry while analyzing (loopback registries use it anyway)')
    // text is the manifest as YAML, what kubectl applies
    .addOption(outputOption(['text', 'json'], 'text', { yaml: 'text' }))
    .action(async (ref: string, opts) => (await import('./commands/attach.js')).attach(ref, opts));

  program
    .command('control-plane')
    .description('watch extension manifests, fetch and verify modules, and serve them to proxies over ECDS')
    .option(
      '--config-dir <dir>',
      'directory of WasmPlugin/TrafficExtension manifests (watched)',
      '.meshwasm/extensions',
    )
    .option('--create', 'create --config-dir when it does not exist (otherwise that is an error)')
    .option('--kubernetes', 'also list+watch WasmPlugins and TrafficExtensions in the current kubeconfig context')
    .option('--xds-listen <host:port>', 'ECDS (gRPC) address', '127.0.0.1:18000')
    .option('--http-listen <host:port>', 'module downloads and /status', '127.0.0.1:18001')
    .option('--cache-dir <dir>', 'module cache', '.meshwasm/cache')
    .option(
      '--pull-secrets-dir <dir>',
      'imagePullSecrets outside Kubernetes: <dir>/<namespace>/<name>.json (docker config JSON) or .yaml (the Secret)',
      '.meshwasm/pull-secrets',
    )
    .option('--cache-max-bytes <n>', 'upper bound of the module cache', String(256 * 1024 * 1024))
    .option('--root-namespace <ns>', 'extensions here apply to every namespace', 'istio-system')
    .option(
      '--signature-policy <file>',
      'serve only modules signed as this policy says, per namespace (docs/signing.md)',
    )
    .option(
      '--trusted-key <file>',
      'serve only modules signed by this public key, in every namespace (repeatable)',
      collect,
    )
    .option('--fetch-deadline <duration>', 'give up on one module fetch (retries included) after this long', '300s')
    .addOption(
      new Option('--log-format <format>', 'event log on stderr: one human line per event, or JSON lines').choices([
        'text',
        'json',
      ]),
    )
    .addOption(
      new Option('--log-level <level>', 'lowest event level logged')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .default('info'),
    )
    .addOption(outputOption())
    .action(async (opts) => (await import('./commands/control-plane.js')).controlPlane(opts));

  program
    .command('status')
    .description(
      'show each extension: its condition, the version wanted and served, what each proxy ACKed or NACKed and why',
    )
    .option('--control-plane <url>', 'HTTP address of a running control plane', 'http://127.0.0.1:18001')
    .option('--watch', 'keep running and print each change (condition, served digests, proxies) as it happens')
    .option('--interval <ms>', 'with --watch: how often to ask the control plane', '1000')
    .addOption(outputOption())
    .action(async (opts) => (await import('./commands/status.js')).status(opts));

  // --- proxy, demo ---
  const mods = moduleArgsCollector();
  program
    .command('proxy')
    .description(
      'run filters in a real HTTP/1.1 proxy (or a TCP proxy with --tcp): local modules, or a chain pushed over ECDS by a control plane',
    )
    .requiredOption(
      '--upstream <url>',
      'where requests go after the filters (http://host:port; tcp://host:port with --tcp)',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:10000')
    .option(
      '--tcp <host:port>',
      'listen for TCP instead: the --module filters run as network filters in front of a tcp:// upstream',
    )
    .option(
      '--module <file.wasm>',
      'a filter, in chain order (repeat for more); the flags below apply to the --module before them',
      mods.module,
    )
    .option('-c, --config <json|@file>', 'plugin configuration of the --module before it', mods.config)
    .option('--root-id <id>', 'root id of the --module before it', mods.rootId)
    .option(
      '--name <name>',
      'plugin name of the --module before it (default: the package or directory of a build/*.wasm, else the file name)',
      mods.name,
    )
    .option(
      '--fail-strategy <policy>',
      'FAIL_CLOSE (503, default), FAIL_OPEN (skip the filter) or FAIL_RELOAD, for the --module before it',
      mods.failStrategy,
    )
    .option('--xds <host:port>', 'take the chain from an ECDS server (meshwasm control-plane) instead of --module')
    .option('--node-id <id>', 'xDS node id of this proxy', 'meshwasm-proxy')
    .option('--labels <k=v...>', 'workload labels sent as node metadata (selectors match them)')
    .option('--namespace <ns>', 'workload namespace sent as node metadata', 'default')
    .option('--cluster <name=url>', 'a target for proxy_http_call, and for --route-header (repeatable)', collect, [])
    .option(
      '--route-header <name>',
      "send a request to the --cluster this header names (set by a filter), as Envoy's cluster_header",
    )
    .option('--timeout <ms>', 'route timeout: how long the upstream may take to answer (0: none)', '15000')
    .option('--admin <port>', 'admin listener with /stats and /ready (0: any free port)')
    .option(
      '--hot-swap',
      'with --admin: accept PUT /filters/NAME/module there (how "meshwasm dev --proxy-admin" swaps builds in)',
    )
    .option('--max-headers-count <n>', "requests with more headers get 431 (Envoy's max_headers_count)", '100')
    .option(
      '--stream-idle-timeout <ms>',
      'end a stream with no bytes moving for this long: 408, or a reset (0: off)',
      '300000',
    )
    .option('--request-timeout <ms>', 'the request must have gone upstream within this: else 408 (0: off)', '0')
    .option('--max-connections <n>', 'requests in flight to one cluster (circuit breaker)', '1024')
    .option(
      '--max-pending-requests <n>',
      'requests waiting for a connection to one cluster; past it 503 overflow',
      '1024',
    )
    .option('--callback-deadline <ms>', 'CPU time one filter callback may run before it is stopped', '100')
    .option('--start-deadline <ms>', 'CPU time a filter start-up (_initialize, vm_start, configure) may run', '1000')
    .option('--memory-limit <bytes>', 'most linear memory one filter VM may have', String(256 * 1024 * 1024))
    .option(
      '--buffer-limit <bytes>',
      'most body bytes one filter may buffer per direction (413 request / 500 response past it)',
      String(1024 * 1024),
    )
    .addOption(
      new Option(
        '--path-normalization <mode>',
        "Istio's meshConfig.pathNormalization: what :path becomes before the filters see it",
      )
        .choices(['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES', 'NONE'])
        .default('BASE'),
    )
    .addOption(
      new Option('--log-level <level>', 'lowest level printed, for filter logs and proxy events')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'critical'])
        .default('info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'proxy events (chain applied, update rejected, shutdown): text or JSON lines',
      ).choices(['text', 'json']),
    )
    .addOption(outputOption())
    .action(async (opts) => (await import('./commands/proxy.js')).proxy({ ...opts, modules: mods.modules }));

  program
    .command('demo')
    .description(
      'the whole loop on this machine: build the shipped filters, push, attach, serve over ECDS, proxy real requests',
    )
    .option('--registry <host:port>', 'push to this OCI registry instead of a local OCI image layout')
    .option('--keep', 'keep the work directory (OCI store, manifests, cache)')
    .addOption(outputOption())
    .action(async (opts) => (await import('./commands/demo.js')).demo(opts));

  // --- bench ---
  program
    .command('bench')
    .description(
      'measure what a filter costs per request, per callback and in memory, against an empty pass-through module',
    )
    .argument('<module>', 'path to a proxy-wasm module (.wasm); with --compare, module A')
    .argument('[b]', 'with --compare: module B, measured against A in the same run')
    .option('--compare', 'compare two modules (A B) alternating in one run: the difference, its spread, and a verdict')
    .option(
      '--max-regression <pct>',
      '--compare: exit 9 when B is slower than A by more than this (e.g. 5%), beyond the noise',
    )
    .addOption(
      new Option(
        '--clock <clock>',
        '--compare: the clock the difference and --max-regression use (default cpu)',
      ).choices(['cpu', 'wall']),
    )
    .option(
      '--max-units-regression <pct>',
      '--compare: exit 9 when B runs more metered units per request than A by more than this',
    )
    .option('-c, --config <json|@file>', 'plugin configuration (JSON text, or @path to a file)')
    .option('--vm-config <json|@file>', 'VM configuration passed to proxy_on_vm_start')
    .option('--root-id <id>', 'root id of the plugin to run', '')
    .option('-s, --scenario <file>', 'YAML scenario (the format of "meshwasm run"): the requests to play, in turn')
    .addOption(new Option('--requests <n>', 'requests per timed run (default 200000)').conflicts('duration'))
    .option('--duration <seconds>', 'seconds per timed run instead of a request count')
    .option('--runs <n>', 'timed runs after warm-up; medians and spread are over these', '5')
    .option('--warmup <n>', 'requests played before timing', '20000')
    .option('--html <file>', 'also write an HTML report with latency charts')
    .option('--metered', 'time requests on metered VMs with execution deadlines, as "meshwasm proxy" runs them')
    .option('--proxy', 'also load the filter through "meshwasm proxy" on 127.0.0.1 with wrk')
    .option('--connections <n>', '--proxy: concurrent connections', '32')
    .option('--proxy-duration <seconds>', '--proxy: seconds of load per setup', '5')
    .addOption(outputOption(['text', 'json'], 'text', { table: 'text' }))
    .action(async (module: string, b: string | undefined, opts) =>
      (await import('./commands/bench.js')).bench(module, b, opts),
    );

  // --- bench-control-plane ---
  program
    .command('bench-control-plane')
    .description(
      'measure how fast a control plane reaches N proxies over real ECDS streams: config and module changes, reconnect storm, memory and CPU per proxy',
    )
    .option('--proxies <list>', 'proxy counts to measure, comma-separated', '10,100,1000')
    .option('--clients <n>', 'client processes the proxies are spread over', '2')
    .option('--per-connection <n>', 'ECDS streams per HTTP/2 connection (Envoy: 1 per proxy)', '100')
    .option('--groups <n>', 'label groups, each with its own extension: distinct proxy views', '4')
    .option('--repeat <n>', 'config changes and module changes measured per proxy count', '3')
    .option('--status-source', 'serve from a source that keeps status (the writeConditions path Kubernetes takes)')
    .option('--phase-timeout <seconds>', 'give up waiting for ACKs after this long', '120')
    .option('--module-bytes <n>', 'size of the modules proxies download', '4096')
    .option('--html <file>', 'also write an HTML report with a chart')
    .addOption(outputOption(['text', 'json'], 'text'))
    .action(async (opts) => (await import('./commands/bench-control-plane.js')).benchControlPlaneCommand(opts));

  // --- analyze ---
  program
    .command('analyze')
    .description(
      'find why a wasm extension will not load, before the mesh does (WasmPlugin, TrafficExtension, Envoy wasm configs)',
    )
    .argument(
      '<manifests...>',
      'manifest files, directories of manifests (with Deployments/Pods/Secrets for the mesh checks), or - for stdin',
    )
    .option(
      '-u, --username <user>',
      'registry user for every registry the input names (password: --password-stdin or a prompt)',
    )
    .option('--password-stdin', 'read the registry password from stdin')
    .option(
      // A short placeholder: commander wraps descriptions only when their column is 40+ wide.
      '--registry-credentials <file>',
      'a docker config.json with registry credentials (repeatable); default: the pull secret in the input, then ~/.docker/config.json',
      collect,
    )
    .option('--istio-version <1.MINOR>', 'Istio version the mesh runs (ABI versions and kinds it serves)', '1.30')
    .addOption(
      new Option('--failure-threshold <severity>', 'lowest severity that makes the command exit 9')
        .choices(['Info', 'Warning', 'Error'])
        .default('Error'),
    )
    .option('--envoy', 'also check Envoy wasm filter configs (envoy.extensions.filters.*.wasm.v3.Wasm) in the input')
    .option('--plain-http', 'talk plain HTTP to every registry (default: only to loopback ones)')
    .option('--max-module-size <bytes>', 'warn (MW0312) above this module size', String(10 << 20))
    .option('--max-startup-ms <ms>', 'warn (MW0313) when start-up in the simulator takes longer', '250')
    .option('--policy <file>', 'report modules the signature policy would refuse (MW06xx; docs/signing.md)')
    .addOption(outputOption(['text', 'json', 'yaml']))
    .action(async (inputs: string[], opts) => (await import('./commands/analyze.js')).analyze(inputs, opts));

  return program;
}

import { performance } from 'node:perf_hooks';
import { describeConfigFields } from './config-fields.js';
import { ConfigureError, Host, HostError, loadMeter, runExchange, type Plugin } from '../host-sim/index.js';
import { meterModule } from '../host-sim/module/meter.js';
import { finding, type Finding } from './finding.js';
import type { Subject } from './subject.js';

export interface StartupLimits {
  /** Warn above this many bytes (MW0312). */
  maxModuleBytes: number;
  /** Warn when instantiation + vm_start + configure take longer, in ms (MW0313). */
  maxStartupMs: number;
}

export const DEFAULT_LIMITS: StartupLimits = { maxModuleBytes: 10 << 20, maxStartupMs: 250 };

/** A root id no module registers, to compare against. */
const PROBE_ROOT_ID = 'meshwasm-analyze-unregistered-root-id';

type Started = { ok: true; plugin: Plugin; host: Host; ms: number } | { ok: false; error: Error; ms: number };

function start(s: Subject, bytes: Uint8Array, rootId: string): Started {
  // Metered with the proxy's deadlines, so a start-up or a probe request that never ends is a finding, not a hang.
  const host = new Host({ vmLimits: {} });
  // Instrumenting is the simulator's cost, not the module's: done (and cached) before the clock starts.
  // An invalid module never reaches binaryen: loadVm below reports it in the usual words.
  if (WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    try {
      meterModule(bytes);
    } catch {
      // loadVm reports it.
    }
  }
  const t0 = performance.now();
  try {
    const vm = host.loadVm(bytes, { env: s.env, vmConfig: s.vmConfiguration, label: s.url || s.label });
    const plugin = host.startPlugin(vm, { name: s.pluginName, rootId, configuration: s.configuration });
    return { ok: true, plugin, host, ms: performance.now() - t0 };
  } catch (err) {
    if (!(err instanceof HostError)) throw err;
    return { ok: false, error: err, ms: performance.now() - t0 };
  }
}

const mentionsRootId = (text: string) => /root[ _-]?id|root context/i.test(text);

/**
 * Runs what the proxy runs when the plugin is configured: instantiate (with _initialize or
 * _start), create the root context, proxy_on_vm_start, proxy_on_configure; each refusal is
 * reported with the filter's own log line. Then checks the root id (see checkRootId).
 */
export async function checkStartup(
  s: Subject,
  bytes: Uint8Array,
  imageRootIds: string[] | undefined,
  limits: StartupLimits,
): Promise<Finding[]> {
  const out: Finding[] = [];
  await loadMeter();
  const r = start(s, bytes, s.rootId);
  const sizeMsg = `${bytes.length} bytes, start-up ${r.ms.toFixed(1)} ms in the simulator (instantiate, vm_start, configure)`;
  if (!r.ok) {
    out.push(startFailure(s, r.error));
  } else {
    out.push(finding('MW0311', s, `module ${sizeMsg}`, { bytes: bytes.length, startupMs: Number(r.ms.toFixed(3)) }));
    if (r.ms > limits.maxStartupMs) {
      out.push(
        finding(
          'MW0313',
          s,
          `start-up took ${r.ms.toFixed(1)} ms, over the limit of ${limits.maxStartupMs} ms (--max-startup-ms); proxies repeat it per worker thread`,
          { startupMs: Number(r.ms.toFixed(3)), limitMs: limits.maxStartupMs },
        ),
      );
    }
  }
  if (bytes.length > limits.maxModuleBytes) {
    out.push(
      finding(
        'MW0312',
        s,
        `module is ${bytes.length} bytes, over the limit of ${limits.maxModuleBytes} bytes (--max-module-size)`,
        { bytes: bytes.length, limit: limits.maxModuleBytes },
      ),
    );
  }
  // Root ids recorded at push time are authoritative: Istio would create a context nothing serves.
  if (imageRootIds && imageRootIds.length > 0 && !imageRootIds.includes(s.rootId)) {
    out.push(
      finding(
        'MW0309',
        s,
        `pluginName "${s.rootId}" is not among the root ids the image declares (${imageRootIds.map((i) => `"${i}"`).join(', ')})`,
        { rootId: s.rootId, registered: imageRootIds },
      ),
    );
    return out;
  }
  if (r.ok) {
    // One probe request: a request callback that never returns is as fatal as a start-up that never does.
    // On a fresh start, so the root-id comparison below sees plugins in the same state.
    const fresh = start(s, bytes, s.rootId);
    const probe = fresh.ok
      ? await probeRequest(fresh.host, fresh.plugin)
      : { deadline: undefined, deadlineCallback: undefined };
    if (probe.deadline) out.push(finding('MW0315', s, probe.deadline, { callback: probe.deadlineCallback }));
    else {
      out.push(...(await checkRootId(s, bytes, r)));
      out.push(...(await checkOutsideRequests(s, r)));
    }
  }
  return out;
}

/**
 * Envoy fails the whole VM on a trap outside a stream. Runs the plugin's first tick (when it set
 * a period) and reports any such trap so far, the probe request's callout responses included.
 */
async function checkOutsideRequests(s: Subject, r: Extract<Started, { ok: true }>): Promise<Finding[]> {
  if (r.plugin.tickPeriodMs > 0 && !r.plugin.vm.failed) {
    r.host.advance(r.plugin.tickPeriodMs);
    await r.host.settle();
  }
  return r.host.vmTraps.map((t) =>
    finding(
      'MW0314',
      s,
      `the module trapped in ${t.callback}${t.function ? ` (${t.function})` : ''}: ${t.message}${t.logged ? `; the filter logged: ${t.logged}` : ''}`,
      { callback: t.callback, message: t.message, ...(t.logged ? { logged: t.logged } : {}) },
    ),
  );
}

function startFailure(s: Subject, err: Error): Finding {
  const deadline = /trapped in (\S+).*: (\S+ ran past its execution deadline of \d+ ms)/.exec(err.message);
  if (deadline) return finding('MW0315', s, `${deadline[2]} while the plugin started`, { callback: deadline[1] });
  const logs = err instanceof ConfigureError ? err.logs.map((l) => `[${l.level}] ${l.message}`) : [];
  const details = { error: err.message, ...(logs.length ? { logs } : {}) };
  if (!(err instanceof ConfigureError)) return finding('MW0305', s, err.message, details);
  if (mentionsRootId(err.message) || err.logs.some((l) => mentionsRootId(l.message))) {
    return finding('MW0309', s, `the module does not serve root id "${s.rootId}" (pluginName): ${err.message}`, {
      rootId: s.rootId,
      ...details,
    });
  }
  if (/proxy_on_vm_start returned false/.test(err.message)) return finding('MW0306', s, err.message, details);
  if (/proxy_on_configure returned false/.test(err.message))
    return finding('MW0307', s, `${err.message} (${describeConfigFields(s.configuration)})`, details);
  return finding('MW0308', s, err.message, details);
}

/**
 * What is detectable about a root id without the module's source:
 * - a module that checks root ids (our SDK, the C++ SDK) fails or logs for an unknown one:
 *   start it with a root id nobody registers; if that fails and ours did not, ours is registered;
 * - a module that serves every root id alike (Rust and Go SDKs register one root context)
 *   cannot be wrong about it: the configured id and the probe behave the same on a request;
 * - a module that falls back to a do-nothing context for unknown ids looks exactly like the
 *   previous case when the request does nothing visible either. Only then do we say we could
 *   not confirm (MW0310, Info): the same probe request differs if the id matters.
 */
async function checkRootId(s: Subject, bytes: Uint8Array, ours: Extract<Started, { ok: true }>): Promise<Finding[]> {
  if (s.rootId === PROBE_ROOT_ID) return [];
  const probe = start(s, bytes, PROBE_ROOT_ID);
  if (!probe.ok) return []; // the module tells root ids apart, and accepted ours
  const a = await probeRequest(ours.host, ours.plugin);
  const b = await probeRequest(probe.host, probe.plugin);
  if (a.signature !== b.signature) return [];
  if (!a.visible && s.rootId !== '') {
    return [
      finding(
        'MW0310',
        s,
        `the module did the same for root id "${s.rootId}" as for an unregistered one and nothing visible on a probe GET request; it either serves every root id alike or falls back to a default context for "${s.rootId}"`,
        { rootId: s.rootId },
      ),
    ];
  }
  return [];
}

async function probeRequest(
  host: Host,
  plugin: Plugin,
): Promise<{ signature: string; visible: boolean; deadline?: string; deadlineCallback?: string }> {
  const r = await runExchange(host, [plugin], {
    headers: {
      ':method': 'GET',
      ':path': '/',
      ':authority': 'analyze.meshwasm.local',
      ':scheme': 'http',
      'user-agent': 'meshwasm-analyze',
    },
    response: { headers: { ':status': '200' }, body: 'ok' },
  });
  const sig = {
    logs: r.logs.map((l) => `${l.level}:${l.message}`),
    upstream: r.upstream.reached ? r.upstream.headers : 'not reached',
    downstream: [r.downstream.status, r.downstream.headers, r.downstream.body],
    local: r.localReply?.status,
    calls: r.httpCalls.length,
    trap: r.trap?.message,
  };
  const visible =
    sig.logs.length > 0 ||
    sig.calls > 0 ||
    sig.local !== undefined ||
    sig.trap !== undefined ||
    !r.upstream.reached ||
    JSON.stringify(r.upstream.headers.filter(([k]) => !k.startsWith(':'))) !==
      JSON.stringify([['user-agent', 'meshwasm-analyze']]) ||
    r.downstream.headers.some(([k]) => k !== ':status' && k !== 'content-length') ||
    r.downstream.body !== 'ok';
  const deadline =
    r.trap && /ran past its execution deadline/.test(r.trap.message)
      ? `${r.trap.message} on a probe GET request`
      : undefined;
  return { signature: JSON.stringify(sig), visible, deadline, deadlineCallback: r.trap?.callback };
}

import { createHash } from 'node:crypto';

// Execution metering, added to a module at load so a callback that loops forever can be stopped.
// Binaryen's log-execution pass puts a call at every function entry, loop header and return
// (each such point is one "unit" here); we then turn the imported log function into a function of
// the module itself that counts a budget down in a global and only leaves wasm, through one
// import, every METER_CHUNK units. That import is where the host looks at the clock, so the hot
// path never reads time. binaryen ships with assemblyscript (already a dependency); it is an ES
// module with top-level await, so it is loaded once, asynchronously, by loadMeter().

/** Units between two visits to the host (each visit may throw the deadline). */
export const METER_CHUNK = 10_000;
/** Import through which metered code reaches the host. */
export const METER_MODULE = 'meshwasm_meter';
export const METER_IMPORT = 'expired';
/** Export of the budget global, so the host can count units (bench). */
export const METER_BUDGET_EXPORT = 'meshwasm_meter_budget';

type Binaryen = typeof import('binaryen').default;
let binaryen: Binaryen | undefined;
let loading: Promise<void> | undefined;

/** Loads binaryen (about 0.3-0.5 s, once per process). meterModule needs it. */
export function loadMeter(): Promise<void> {
  loading ??= import('binaryen').then((m) => {
    binaryen = m.default;
  });
  return loading;
}

export function meterLoaded(): boolean {
  return binaryen !== undefined;
}

const cache = new Map<string, Uint8Array>();

/**
 * The module with metering added. Function names are kept (the name section is rewritten for the
 * new indices), so traps still name the guest function. Cached by content: FAIL_RELOAD and chain
 * updates that reload a module pay once.
 */
export function meterModule(bytes: Uint8Array): Uint8Array {
  if (!binaryen) throw new Error('meterModule: call "await loadMeter()" first');
  const key = createHash('sha256').update(bytes).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
  const b = binaryen;
  const m = b.readBinaryWithFeatures(bytes, b.Features.All);
  try {
    m.runPasses(['log-execution']);
    // The pass imported env.log_execution(i32); replace it by an internal countdown.
    m.removeFunction('log_execution');
    m.addGlobal('meshwasm$budget', b.i32, true, m.i32.const(0));
    m.addGlobalExport('meshwasm$budget', METER_BUDGET_EXPORT);
    m.addFunctionImport('meshwasm$expired', METER_MODULE, METER_IMPORT, b.none, b.i32);
    m.addFunction(
      'log_execution',
      b.i32,
      b.none,
      [],
      m.block(null, [
        m.global.set('meshwasm$budget', m.i32.sub(m.global.get('meshwasm$budget', b.i32), m.i32.const(1))),
        m.if(
          m.i32.le_s(m.global.get('meshwasm$budget', b.i32), m.i32.const(0)),
          m.global.set('meshwasm$budget', m.call('meshwasm$expired', [], b.i32)),
        ),
      ]),
    );
    // Inline the countdown at each site: a call per loop iteration doubled the CPU cost of a
    // loop-heavy filter (docs/decisions.md). Only functions as small as the countdown qualify.
    const saved = [b.getAlwaysInlineMaxSize(), b.getFlexibleInlineMaxSize(), b.getOneCallerInlineMaxSize()];
    b.setAlwaysInlineMaxSize(16);
    b.setFlexibleInlineMaxSize(0);
    b.setOneCallerInlineMaxSize(0);
    try {
      m.runPasses(['inlining']);
    } finally {
      b.setAlwaysInlineMaxSize(saved[0]!);
      b.setFlexibleInlineMaxSize(saved[1]!);
      b.setOneCallerInlineMaxSize(saved[2]!);
    }
    if (!m.validate()) throw new Error('the metered module does not validate');
    b.setDebugInfo(true);
    const out = m.emitBinary();
    b.setDebugInfo(false);
    cache.set(key, out);
    return out;
  } finally {
    m.dispose();
  }
}

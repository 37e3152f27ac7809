// What signing costs the demo: key generation, three signatures and three verifications against
// an OCI layout on disk, with the built registry/signing (run "npm run build" first).
// Usage: node scripts/bench-signing.mjs [rounds]   Results: docs/BENCHMARKS.md, "Signing".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { pushModule } = await import(join(root, 'dist/registry/index.js'));
const signing = await import(join(root, 'dist/registry/signing/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'meshwasm-bench-signing-'));
try {
  execFileSync('wat2wasm', [join(root, 'test/fixtures/wat/abi-0_2_0.wat'), '-o', join(dir, 'm.wasm')]);
  const module = new Uint8Array(readFileSync(join(dir, 'm.wasm')));
  for (let round = 0; round < Number(process.argv[2] ?? 5); round++) {
    // Fresh layouts each round, so every image has exactly one signature, as in the demo.
    const refs = [];
    for (const n of ['a', 'b', 'c']) {
      refs.push(`oci:${join(dir, `${round}-${n}`)}:v1`);
      await pushModule(module, refs.at(-1));
    }
    const t0 = performance.now();
    const pair = signing.generateSigningKeyPair('bench');
    const privateKey = signing.loadPrivateKey(pair.privateKeyPem, 'bench', 'bench key');
    for (const ref of refs) await signing.signImage(ref, { kind: 'key', privateKey });
    const t1 = performance.now();
    const policy = signing.buildTrustPolicy({ keys: [{ pem: pair.publicKeyPem, name: 'bench' }] });
    for (const ref of refs)
      if (!(await signing.verifyImage(ref, policy)).verified) throw new Error(`${ref} did not verify`);
    const t2 = performance.now();
    console.log(
      `round ${round}: keygen + 3 signatures ${(t1 - t0).toFixed(1)} ms, 3 verifications ${(t2 - t1).toFixed(1)} ms`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

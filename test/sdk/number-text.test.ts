import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

describe('sdk text of numbers and statuses (through the host simulator)', () => {
  it("print what the standard library's toString() prints, from i64.MIN_VALUE to u64.MAX_VALUE", async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({
      headers: { ':method': 'GET', ':path': '/', ':authority': 'example.com', 'x-test': 'decimal' },
    });
    expect(r.trap).toBeUndefined();
    expect(r.upstreamHeader('x-decimal')).toBe(
      '0 7 -7 10 -10 99 100 1234567890 -2147483648 2147483647 4294967295 ' +
        '-9223372036854775808 9223372036854775807 -42 4000000000 18446744073709551615 0',
    );
    expect(r.upstreamHeader('x-decimal')).toBe(r.upstreamHeader('x-decimal-std'));
  });

  it('names every Status of the ABI, and the number of any other', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({
      headers: { ':method': 'GET', ':path': '/', ':authority': 'example.com', 'x-test': 'status-names' },
    });
    expect(r.upstreamHeader('x-status-names')).toBe(
      'Ok NotFound BadArgument SerializationFailure ParseFailure Status(5) ' +
        'InvalidMemoryAccess Empty CasMismatch Status(9) InternalFailure Status(11) Unimplemented Status(13) Status(4294967295)',
    );
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigureError, createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

const req = (test: string, extra: Record<string, string> = {}) => ({
  ':method': 'GET',
  ':path': '/',
  ':authority': 'example.com',
  'x-test': test,
  ...extra,
});

describe('sdk plugin configuration and root ids (through the host simulator)', () => {
  it('parses the plugin configuration as JSON and reads typed fields', async () => {
    const config = {
      greeting: 'hi \u00e9\u4e2d "q"',
      limits: { max: 3 },
      list: [1, 2.5, -1e3, true, null],
      nested: { a: [] },
    };
    const h = await createHarness({ module, config });
    const r = await h.request({ headers: req('config') });
    expect(r.upstreamHeader('x-greeting')).toBe('hi \u00e9\u4e2d "q"');
    expect(r.upstreamHeader('x-max')).toBe('3');
    expect(JSON.parse(r.upstreamHeader('x-config')!)).toEqual(config);
  });

  it('hands the plugin configuration over as a string, and the VM configuration to onVmStart', async () => {
    const raw = '{ "greeting" : "spaced",   "limits": {"max": 9} }';
    const h = await createHarness({ module, config: raw, vmConfig: 'vm-settings-1' });
    const r = await h.request({ headers: req('config') });
    expect(r.upstreamHeader('x-config-raw')).toBe(raw);
    expect(r.upstreamHeader('x-greeting')).toBe('spaced');
    expect(r.upstreamHeader('x-max')).toBe('9');
    expect(r.upstreamHeader('x-vm-config')).toBe('vm-settings-1');
  });

  it("rejects the plugin when onConfigure returns false, with the filter's error log", async () => {
    await expect(createHarness({ module, config: { reject: true } })).rejects.toThrow(ConfigureError);
    await expect(createHarness({ module, config: { reject: true } })).rejects.toThrow(/rejected by configuration/);
  });

  it('rejects configuration that is not JSON and says where it broke', async () => {
    await expect(createHarness({ module, config: '{"greeting": ' })).rejects.toThrow(
      /not valid JSON: unexpected end of input at offset 13/,
    );
  });

  it('serves each root_id with the root context registered for it', async () => {
    const second = await createHarness({ module, config: {}, rootId: 'second' });
    const r = await second.request({ headers: req('headers') });
    expect(r.upstreamHeader('x-root')).toBe('second:second');
    expect(r.upstreamHeader('x-count')).toBeUndefined();
    const dflt = await createHarness({ module, config: {}, rootId: '' });
    const d = await dflt.request({ headers: req('headers') });
    expect(d.upstreamHeader('x-root')).toBeUndefined();
    expect(d.upstreamHeader('x-count')).toBeDefined();
  });

  it('aborts with a clear log when no root context is registered for the root_id', async () => {
    await expect(createHarness({ module, config: {}, rootId: 'unknown' })).rejects.toThrow(
      'no root context registered for root_id "unknown" (registered: "", "second")',
    );
  });
});

describe('sdk JSON parser', () => {
  const parse = async (text: string) => {
    const h = await createHarness({ module, config: {} });
    return (await h.request({ headers: req('json', { 'x-json': text }) })).upstreamHeader('x-json-out');
  };

  it('round-trips values, escapes and numbers', async () => {
    expect(await parse('{"a":[1,2.5,-0.125,1e3,2E-2],"b":{"c":"x\\\\y\\n\\u00e9"},"d":[true,false,null]}')).toBe(
      '{"a":[1,2.5,-0.125,1000,0.02],"b":{"c":"x\\\\y\\n\u00e9"},"d":[true,false,null]}',
    );
    expect(await parse('  [ ]  ')).toBe('[]');
    expect(await parse('"\\ud83d\\ude00"')).toBe('"\ud83d\ude00"');
  });

  it('keeps the last value of a repeated key, at the place the key first appeared', async () => {
    expect(await parse('{"a":1,"b":2,"a":3}')).toBe('{"a":3,"b":2}');
    expect(await parse('{"x":{"k":"v"},"x":[]}')).toBe('{"x":[]}');
  });

  it('escapes control characters as \\u00XX when printing', async () => {
    expect(await parse('"a\\u0001b\\u001fc\\u0000"')).toBe('"a\\u0001b\\u001fc\\u0000"');
  });

  it('reports malformed input with an offset', async () => {
    expect(await parse('{"a" 1}')).toBe("error: expected ':' at offset 5");
    expect(await parse('[1,]')).toBe("error: unexpected character ']' at offset 3");
    expect(await parse('tru')).toBe('error: invalid literal at offset 0');
    expect(await parse('{"a":1} x')).toBe('error: unexpected character at offset 8');
    expect(await parse('01x')).toMatch(/^error: unexpected character at offset 1/);
  });
});

import { describe, expect, it } from 'vitest';
import { passthroughModule, roundtripModule } from '../../bench/modules.js';
import { wat2wasm } from './wat.js';

const source = (name: string) => new URL(`../../bench/baseline/${name}`, import.meta.url).pathname;

describe('the embedded baseline modules', () => {
  it('are exactly what wat2wasm makes of the WAT sources beside them', () => {
    expect(Buffer.from(passthroughModule()).equals(Buffer.from(wat2wasm(source('passthrough.wat'))))).toBe(true);
    expect(Buffer.from(roundtripModule()).equals(Buffer.from(wat2wasm(source('roundtrip.wat'))))).toBe(true);
  });
});

import { WasmResult } from './constants.js';
import { OutOfBounds } from './memory.js';

const outOfBounds = (err: unknown): number => {
  if (err instanceof OutOfBounds) return WasmResult.InvalidMemoryAccess;
  throw err;
};

/**
 * Wraps a host function so a bad guest pointer answers InvalidMemoryAccess instead of trapping the
 * host. The wrapper has the same arity as the function: a rest/spread wrapper allocates an array
 * per call, and V8 calls an import whose parameter count differs from the wasm signature through a
 * slower adaptor. Host functions have 0-12 parameters; up to 6 get a fixed-arity wrapper.
 */
export function guarded<A extends unknown[]>(fn: (...args: A) => number): (...args: A) => number {
  type F = (...a: unknown[]) => number;
  const f = fn as unknown as F;
  let w: F | undefined;
  switch (fn.length) {
    case 0:
      w = () => {
        try {
          return f();
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 1:
      w = (a) => {
        try {
          return f(a);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 2:
      w = (a, b) => {
        try {
          return f(a, b);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 3:
      w = (a, b, c) => {
        try {
          return f(a, b, c);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 4:
      w = (a, b, c, d) => {
        try {
          return f(a, b, c, d);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 5:
      w = (a, b, c, d, e) => {
        try {
          return f(a, b, c, d, e);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    case 6:
      w = (a, b, c, d, e, g) => {
        try {
          return f(a, b, c, d, e, g);
        } catch (err) {
          return outOfBounds(err);
        }
      };
      break;
    default:
      break;
  }
  if (w) return w as unknown as (...args: A) => number;
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (err) {
      return outOfBounds(err);
    }
  };
}

import type { WasmResult } from '../../abi/constants.js';

/** What a foreign function answers: its status and, when it produced one, the result bytes. */
export interface ForeignResult {
  status: WasmResult;
  result?: Uint8Array;
}

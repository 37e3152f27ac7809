import { randomFillSync } from 'node:crypto';
import type { VmScope } from '../context.js';
import { OutOfBounds } from '../abi/memory.js';

/** proc_exit unwinds the guest; the VM treats it as the end of that call. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

const ESUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOSYS = 52;

/**
 * The WASI subset Envoy gives proxy-wasm modules (proxy-wasm-cpp-host): stdout/stderr go to the
 * proxy log, there is no file system (fd_prestat_get answers EBADF, which Go 1.24 modules need to
 * stop probing), clocks follow the host's virtual clock, random bytes are real.
 */
export function wasiImports(vm: VmScope): Record<string, (...args: never[]) => number> {
  const guard =
    (fn: (...a: number[]) => number) =>
    (...a: number[]) => {
      try {
        return fn(...a);
      } catch (err) {
        if (err instanceof OutOfBounds) return EFAULT;
        throw err;
      }
    };
  const pending: Record<number, string> = { 1: '', 2: '' };
  const envList = () => Object.entries(vm.env).map(([k, v]) => `${k}=${v}\0`);
  const writeList = (items: string[], ptrsPtr: number, bufPtr: number) => {
    let off = bufPtr;
    items.forEach((item, i) => {
      const bytes = Buffer.from(item, 'utf8');
      vm.mem.setU32(ptrsPtr + i * 4, off);
      vm.mem.bytes(off, bytes.length).set(bytes);
      off += bytes.length;
    });
    return ESUCCESS;
  };
  return {
    fd_write: guard((fd, iovs, iovsLen, nwrittenPtr) => {
      if (fd !== 1 && fd !== 2) return EBADF;
      let total = 0;
      let text = '';
      for (let i = 0; i < iovsLen; i++) {
        const ptr = vm.mem.u32(iovs + i * 8);
        const len = vm.mem.u32(iovs + i * 8 + 4);
        text += vm.mem.string(ptr, len);
        total += len;
      }
      // Envoy logs whole lines: stdout at info, stderr at error.
      const lines = (pending[fd] + text).split('\n');
      pending[fd] = lines.pop() ?? '';
      for (const line of lines) vm.host.log(vm, fd === 1 ? 'info' : 'error', line);
      vm.mem.setU32(nwrittenPtr, total);
      return ESUCCESS;
    }),
    fd_read: () => EBADF,
    fd_seek: () => EBADF,
    fd_close: () => EBADF,
    fd_fdstat_get: guard((fd, statPtr) => {
      if (fd > 2) return EBADF;
      // filetype character device, no flags, no rights restrictions.
      vm.mem.bytes(statPtr, 24).fill(0);
      vm.mem.bytes(statPtr, 1)[0] = 2;
      return ESUCCESS;
    }),
    fd_fdstat_set_flags: () => ENOSYS,
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: () => EBADF,
    path_open: () => ENOSYS,
    environ_sizes_get: guard((countPtr, sizePtr) => {
      const list = envList();
      vm.mem.setU32(countPtr, list.length);
      vm.mem.setU32(
        sizePtr,
        list.reduce((n, s) => n + Buffer.byteLength(s), 0),
      );
      return ESUCCESS;
    }),
    environ_get: guard((ptrs, buf) => writeList(envList(), ptrs, buf)),
    args_sizes_get: guard((countPtr, sizePtr) => {
      vm.mem.setU32(countPtr, 0);
      vm.mem.setU32(sizePtr, 0);
      return ESUCCESS;
    }),
    args_get: () => ESUCCESS,
    clock_time_get: guard((clockId, _precision, timePtr) => {
      // 0 realtime, 1 monotonic; both follow the virtual clock so tests are deterministic.
      if (clockId > 3) return EINVAL;
      vm.mem.setU64(timePtr, vm.host.clock.nowNs());
      return ESUCCESS;
    }) as never,
    clock_res_get: guard((_id, resPtr) => {
      vm.mem.setU64(resPtr, 1000n);
      return ESUCCESS;
    }),
    random_get: guard((ptr, len) => {
      randomFillSync(vm.mem.bytes(ptr, len));
      return ESUCCESS;
    }),
    sched_yield: () => ESUCCESS,
    poll_oneoff: () => ENOSYS,
    proc_exit: ((code: number) => {
      throw new ProcExit(code);
    }) as never,
  };
}

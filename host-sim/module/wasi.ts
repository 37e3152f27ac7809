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
const ENOTDIR = 20;
const EFAULT = 21;
const EINVAL = 28;
const ENOENT = 44;
const ENOSYS = 52;
const ENOTSUP = 58;
/** cpp-host's PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES (include/proxy-wasm/limits.h). */
const RANDOM_GET_MAX = 64 * 1024;

type WasiFn = (...args: never[]) => number | undefined;

/**
 * The WASI functions Envoy gives proxy-wasm modules, with proxy-wasm-cpp-host's answers
 * (src/exports.cc, the wasi_unstable_* functions): stdout/stderr become log lines, there is no
 * file system (fd_prestat_get answers EBADF, which Go 1.24 modules need to stop probing), the
 * rest answer a fixed errno, poll_oneoff succeeds with zero events (Go's runtime sleeps through
 * it). Clocks follow the host's virtual clock and random bytes are real. Which of these a module
 * may import depends on the Envoy release (envoy-releases.ts); the simulator provides them all.
 */
export function wasiImports(vm: VmScope): Record<string, WasiFn> {
  // A bad pointer is EFAULT, as cpp-host's failed setWord/setMemory.
  const guard =
    <A extends (number | bigint)[]>(fn: (...a: A) => number) =>
    (...a: A) => {
      try {
        return fn(...a);
      } catch (err) {
        if (err instanceof OutOfBounds) return EFAULT;
        throw err;
      }
    };
  const stdio = (fd: number) => fd === 1 || fd === 2;
  /** 0 for stdout/stderr, EBADF otherwise: cpp-host's answer for the fd_* calls that do nothing. */
  const stdioOnly = (fd: number) => (stdio(fd) ? ESUCCESS : EBADF);
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
  /**
   * cpp-host's writevImpl: one log line per call (stdout at info, stderr at error), one trailing
   * newline dropped; nothing is buffered across calls.
   */
  const writev = (fd: number, iovs: number, iovsLen: number): number | { written: number } => {
    if (!stdio(fd)) return EBADF;
    let text = '';
    let written = 0;
    for (let i = 0; i < iovsLen; i++) {
      const ptr = vm.mem.u32(iovs + i * 8);
      const len = vm.mem.u32(iovs + i * 8 + 4);
      if (len === 0) continue;
      text += vm.mem.string(ptr, len);
      written += len;
    }
    if (written > 0) vm.host.log(vm, fd === 1 ? 'info' : 'error', text.endsWith('\n') ? text.slice(0, -1) : text);
    return { written };
  };
  const u64 = (ptr: number, v: bigint) => vm.mem.setU64(ptr, v);
  return {
    fd_write: guard((fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
      const r = writev(fd, iovs, iovsLen);
      if (typeof r === 'number') return r;
      vm.mem.setU32(nwrittenPtr, r.written);
      return ESUCCESS;
    }),
    fd_pwrite: guard((fd: number, iovs: number, iovsLen: number, _offset: bigint, nwrittenPtr: number) => {
      const r = writev(fd, iovs, iovsLen);
      if (typeof r === 'number') return r;
      vm.mem.setU32(nwrittenPtr, r.written);
      return ESUCCESS;
    }) as unknown as WasiFn,
    fd_read: () => ENOSYS,
    fd_pread: () => ENOSYS,
    // cpp-host reports these through Context::error, which Envoy logs at trace, and succeeds.
    fd_seek: () => {
      vm.host.log(vm, 'trace', 'wasi_unstable fd_seek');
      return ESUCCESS;
    },
    fd_close: () => {
      vm.host.log(vm, 'trace', 'wasi_unstable fd_close');
      return ESUCCESS;
    },
    fd_fdstat_get: guard((fd: number, statPtr: number) => {
      if (!stdio(fd)) return EBADF;
      // Three u64 words as cpp-host writes them: 0, fs_rights_base = FD_WRITE (64), 0.
      u64(statPtr, 0n);
      u64(statPtr + 8, 64n);
      u64(statPtr + 16, 0n);
      return ESUCCESS;
    }),
    fd_fdstat_set_flags: () => ENOSYS,
    fd_fdstat_set_rights: (fd: number) => stdioOnly(fd),
    fd_advise: () => ESUCCESS,
    fd_allocate: (fd: number) => stdioOnly(fd),
    fd_datasync: (fd: number) => stdioOnly(fd),
    fd_filestat_get: () => EBADF,
    fd_filestat_set_size: (fd: number) => stdioOnly(fd),
    fd_filestat_set_times: (fd: number) => stdioOnly(fd),
    fd_sync: (fd: number) => stdioOnly(fd),
    fd_tell: guard((fd: number, retPtr: number) => {
      if (!stdio(fd)) return EBADF;
      u64(retPtr, 0n);
      return ESUCCESS;
    }),
    fd_readdir: guard((_fd: number, _buf: number, _len: number, _cookie: bigint, nreadPtr: number) => {
      vm.mem.setU32(nreadPtr, 0);
      return ENOTDIR;
    }) as unknown as WasiFn,
    fd_renumber: (fd: number, to: number) => (stdio(fd) && stdio(to) ? ENOTSUP : EBADF),
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: () => ENOSYS,
    path_open: () => ENOENT,
    path_filestat_get: () => ENOTSUP,
    path_create_directory: () => ENOTSUP,
    path_filestat_set_times: () => ENOTSUP,
    path_link: () => ENOTSUP,
    path_readlink: guard(
      (_fd: number, _path: number, _pathLen: number, _buf: number, _bufLen: number, retPtr: number) => {
        vm.mem.setU32(retPtr, 0);
        return ENOTSUP;
      },
    ),
    path_remove_directory: () => ENOTSUP,
    path_rename: () => ENOTSUP,
    path_symlink: () => ENOTSUP,
    path_unlink_file: () => ENOTSUP,
    sock_accept: guard((_fd: number, _flags: number, retPtr: number) => {
      // cpp-host writes a 64-bit zero here (setDatatype(retptr0, 0UL)).
      u64(retPtr, 0n);
      return ENOTSUP;
    }),
    sock_recv: guard((_fd: number, _data: number, _len: number, _flags: number, ret0: number, ret1: number) => {
      vm.mem.setU32(ret0, 0);
      vm.mem.bytes(ret1, 2).fill(0);
      return ENOTSUP;
    }),
    sock_send: guard((_fd: number, _data: number, _len: number, _flags: number, ret0: number) => {
      vm.mem.setU32(ret0, 0);
      return ENOTSUP;
    }),
    sock_shutdown: () => ENOTSUP,
    environ_sizes_get: guard((countPtr: number, sizePtr: number) => {
      const list = envList();
      vm.mem.setU32(countPtr, list.length);
      vm.mem.setU32(
        sizePtr,
        list.reduce((n, s) => n + Buffer.byteLength(s), 0),
      );
      return ESUCCESS;
    }),
    environ_get: guard((ptrs: number, buf: number) => writeList(envList(), ptrs, buf)),
    args_sizes_get: guard((countPtr: number, sizePtr: number) => {
      vm.mem.setU32(countPtr, 0);
      vm.mem.setU32(sizePtr, 0);
      return ESUCCESS;
    }),
    args_get: () => ESUCCESS,
    clock_time_get: guard((clockId: number, _precision: bigint, timePtr: number) => {
      // 0 realtime, 1 monotonic; both follow the virtual clock so tests are deterministic.
      if (clockId !== 0 && clockId !== 1) return ENOTSUP;
      u64(timePtr, vm.host.clock.nowNs());
      return ESUCCESS;
    }) as unknown as WasiFn,
    clock_res_get: guard((clockId: number, resPtr: number) => {
      if (clockId !== 0 && clockId !== 1) return ENOTSUP;
      u64(resPtr, 1n);
      return ESUCCESS;
    }),
    random_get: guard((ptr: number, len: number) => {
      len >>>= 0;
      if (len > RANDOM_GET_MAX) return EINVAL;
      if (len === 0) return ESUCCESS;
      randomFillSync(vm.mem.bytes(ptr, len));
      return ESUCCESS;
    }),
    sched_yield: () => ESUCCESS,
    // Success with zero events: Go's runtime calls it to sleep (GC, timers, a panicking goroutine).
    poll_oneoff: guard((_in: number, _out: number, _n: number, neventsPtr: number) => {
      vm.mem.setU32(neventsPtr, 0);
      return ESUCCESS;
    }),
    proc_exit: ((code: number) => {
      throw new ProcExit(code);
    }) as never,
  };
}

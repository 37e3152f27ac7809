/**
 * The two unprefixed "env" functions cpp-host registers for Emscripten-built modules
 * (src/exports.cc: pthread_equal, emscripten_notify_memory_growth). Memory growth needs no
 * action here: GuestMemory re-creates its views when the buffer detaches.
 */
export function emscriptenCalls() {
  return {
    pthread_equal: (left: number, right: number) => (left === right ? 1 : 0),
    emscripten_notify_memory_growth: (_memoryIndex: number): undefined => undefined,
  };
}

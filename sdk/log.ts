// Logging at levels, skipped early when the host would drop the line anyway.
import * as host from "./hostcalls";
import { LogLevel } from "./types";

export function log(level: LogLevel, message: string): void { host.log(level, message); }
export function logTrace(message: string): void { host.log(LogLevel.Trace, message); }
export function logDebug(message: string): void { host.log(LogLevel.Debug, message); }
export function logInfo(message: string): void { host.log(LogLevel.Info, message); }
export function logWarn(message: string): void { host.log(LogLevel.Warn, message); }
export function logError(message: string): void { host.log(LogLevel.Error, message); }
export function logCritical(message: string): void { host.log(LogLevel.Critical, message); }

/** True when a line at `level` would be kept: guard expensive message building with it. */
export function logEnabled(level: LogLevel): bool { return level >= host.getLogLevel(); }

/**
 * Logs `length` bytes of UTF-8 at `data` as they are: for a filter that builds its line in its
 * own buffer (telemetry's access log), which a string would only copy twice more.
 */
export function logUtf8(level: LogLevel, data: usize, length: usize): void { host.logUtf8(level, data, length); }

import { MESSAGES, type MessageCode, type Severity } from './messages.js';

/** One coded finding about one subject (an extension manifest or an Envoy filter config). */
export interface Finding {
  code: MessageCode;
  severity: Severity;
  /** "WasmPlugin default/authz", "TrafficExtension istio-system/stats", "EnvoyWasm envoy.yaml#my_filter" */
  subject: string;
  /** File the subject came from. */
  origin?: string;
  message: string;
  fix: string;
  /** Machine-readable facts behind the message (expected/actual digests, sizes, log lines). */
  details?: Record<string, unknown>;
}

export function finding(
  code: MessageCode,
  subject: { label: string; origin?: string },
  message: string,
  details?: Record<string, unknown>,
): Finding {
  const def = MESSAGES[code];
  return {
    code,
    severity: def.severity,
    subject: subject.label,
    ...(subject.origin ? { origin: subject.origin } : {}),
    message,
    fix: def.fix,
    ...(details ? { details } : {}),
  };
}

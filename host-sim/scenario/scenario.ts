import YAML from 'yaml';
import { HostError } from '../errors.js';
import type { HttpCallAnswer } from '../http-upstream.js';
import type { RequestSpec, ResponseSpec } from '../exchange.js';
import type { GrpcReply } from '../grpc-upstream.js';

/** One step of a TCP connection: bytes from one side (then a half-close with end), or the client's close. */
export type ConnectionStep =
  | { downstream: string; end?: boolean }
  | { upstream: string; end?: boolean }
  | { close: true };

export interface ConnectionScenario {
  name?: string;
  properties?: Record<string, unknown>;
  steps: ConnectionStep[];
}

/** One scenario file for `meshwasm run` (docs/run.md describes the format). */
export interface Scenario {
  config?: unknown;
  vmConfig?: unknown;
  rootId?: string;
  properties?: Record<string, unknown>;
  /** Static answers for proxy_http_call by cluster name, or `{ url }` for a real upstream. */
  clusters?: Record<string, HttpCallAnswer | { url: string }>;
  /** Scripted gRPC services by cluster: the same reply to every call (or "timeout", "unavailable"). */
  grpcClusters?: Record<string, GrpcReply>;
  /** TCP connections through a network filter, step by step. */
  connections?: ConnectionScenario[];
  requests: { name?: string; request: RequestSpec; response?: ResponseSpec; advanceMs?: number }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function headerMap(v: unknown, where: string, file: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) throw new HostError('invalid-input', `${file}: ${where} must be a map of header names to values`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'object' && val !== null)
      throw new HostError('invalid-input', `${file}: ${where}.${k} must be a string`);
    out[k] = String(val);
  }
  return out;
}

function body(v: unknown): string | string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v as string[];
  if (isRecord(v) || Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

/** Parses and checks a scenario, naming the file and field of the first problem. */
export function parseScenario(text: string, file: string): Scenario {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new HostError('invalid-input', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  const hasConnections = isRecord(doc) && Array.isArray(doc.connections) && doc.connections.length > 0;
  if (!isRecord(doc) || ((!Array.isArray(doc.requests) || doc.requests.length === 0) && !hasConnections)) {
    throw new HostError(
      'invalid-input',
      `${file} must have a non-empty "requests:" list, or "connections:" for a TCP filter (see docs/run.md)`,
    );
  }
  const requests = ((doc.requests ?? []) as unknown[]).map((entry: unknown, i: number) => {
    const where = `requests[${i}]`;
    if (!isRecord(entry) || !isRecord(entry.request))
      throw new HostError('invalid-input', `${file}: ${where} needs a "request:" map`);
    const req = entry.request;
    const headers = headerMap(req.headers, `${where}.request.headers`, file);
    if (!headers)
      throw new HostError(
        'invalid-input',
        `${file}: ${where}.request.headers is required (at least :method, :path, :authority)`,
      );
    const resp = entry.response;
    if (resp !== undefined && !isRecord(resp))
      throw new HostError('invalid-input', `${file}: ${where}.response must be a map`);
    const request: RequestSpec = {
      headers,
      body: body(req.body),
      trailers: headerMap(req.trailers, `${where}.request.trailers`, file),
      properties: isRecord(req.properties) ? req.properties : undefined,
    };
    const response: ResponseSpec | undefined = resp
      ? {
          headers: headerMap(resp.headers, `${where}.response.headers`, file),
          body: body(resp.body),
          trailers: headerMap(resp.trailers, `${where}.response.trailers`, file),
        }
      : undefined;
    const advanceMs = entry.advanceMs === undefined ? undefined : Number(entry.advanceMs);
    if (advanceMs !== undefined && !(advanceMs >= 0))
      throw new HostError('invalid-input', `${file}: ${where}.advanceMs must be a number of milliseconds >= 0`);
    return { name: typeof entry.name === 'string' ? entry.name : undefined, request, response, advanceMs };
  });
  const connections = hasConnections ? parseConnections(doc.connections as unknown[], file) : undefined;
  if (doc.grpcClusters !== undefined && !isRecord(doc.grpcClusters))
    throw new HostError('invalid-input', `${file}: grpcClusters must be a map of cluster name to reply`);
  if (doc.clusters !== undefined && !isRecord(doc.clusters))
    throw new HostError('invalid-input', `${file}: clusters must be a map of cluster name to answer`);
  return {
    config: doc.config,
    vmConfig: doc.vmConfig,
    rootId: typeof doc.rootId === 'string' ? doc.rootId : undefined,
    properties: isRecord(doc.properties) ? doc.properties : undefined,
    clusters: doc.clusters as Scenario['clusters'],
    grpcClusters: doc.grpcClusters as Scenario['grpcClusters'],
    connections,
    requests,
  };
}

function parseConnections(list: unknown[], file: string): ConnectionScenario[] {
  return list.map((c, i) => {
    const where = `connections[${i}]`;
    if (!isRecord(c) || !Array.isArray(c.steps))
      throw new HostError('invalid-input', `${file}: ${where} needs a "steps:" list`);
    const steps = c.steps.map((st: unknown, j: number): ConnectionStep => {
      const at = `${where}.steps[${j}]`;
      if (isRecord(st) && typeof st.downstream === 'string') return { downstream: st.downstream, end: st.end === true };
      if (isRecord(st) && typeof st.upstream === 'string') return { upstream: st.upstream, end: st.end === true };
      if (isRecord(st) && st.close === true) return { close: true };
      throw new HostError(
        'invalid-input',
        `${file}: ${at} must be { downstream: "bytes" }, { upstream: "bytes" } (each with optional end: true) or { close: true }`,
      );
    });
    return {
      name: typeof c.name === 'string' ? c.name : undefined,
      properties: isRecord(c.properties) ? c.properties : undefined,
      steps,
    };
  });
}

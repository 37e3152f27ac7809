// meshwasm AssemblyScript SDK for proxy-wasm ABI 0.2.1: the author-facing API.
// Filters import from "meshwasm/sdk" and re-export the callbacks from "meshwasm/sdk/exports".
export { Action, BufferType, LogLevel, MapType, MetricType, PeerType, Status, StreamType, statusName } from "./types";
export { HeaderPair, Headers, serializeHeaders, deserializeHeaders } from "./headers";
export { HeaderMap, pairs, requestHeaders, requestTrailers, responseHeaders, responseTrailers,
  httpCallResponseHeaders, httpCallResponseTrailers, grpcInitialMetadata, grpcTrailingMetadata } from "./header_map";
export { Buffer, requestBody, responseBody, downstreamData, upstreamData, httpCallResponseBody,
  grpcCallMessage, vmConfiguration, pluginConfiguration, foreignFunctionArguments } from "./buffers";
export { BaseContext, RootContext, HttpContext, StreamContext, RootContextFactory, registerRootContext, HttpCallCallback } from "./context";
export { GrpcCall, GrpcStream } from "./grpc";
export { JsonKind, JsonValue, parseJson, jsonError } from "./json";
export { formatInt, formatUint } from "./decimal";
export { utf8, fromUtf8 } from "./memory";
export { Properties, getPropertyBytes, getPropertyString, getPropertyInt, getPropertyBool, getPropertyMap,
  getPropertySegments, setPropertyString } from "./properties";
export { Counter, Gauge, Histogram, Tag, metricName } from "./metrics";
export { SharedData, SharedQueue, getSharedData, setSharedData, getSharedString, setSharedString, incrementSharedCounter } from "./shared";
export { log, logTrace, logDebug, logInfo, logWarn, logError, logCritical, logEnabled } from "./log";
export { CallStatus, getStatus, getCurrentTimeNanoseconds, lastCallStatus, setTickPeriodMilliseconds, callForeignFunction } from "./hostcalls";
export { abortHandler, traceHandler, seedHandler } from "./runtime";

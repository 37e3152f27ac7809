/** analyze/: checks that find why a wasm extension will not load before the mesh does. */
export {
  analyzeDocuments,
  analyzeManifestText,
  analyzeSubjects,
  failing,
  type AnalyzeOptions,
  type AnalyzeReport,
} from './analyze.js';
export { readInputs, readManyInputs, parseText, type InputDoc } from './inputs.js';
export { isExtensionDoc } from './istio-subjects.js';
export { isEnvoyWasmDoc } from './envoy-subjects.js';
export { formatText } from './format.js';
export { MESSAGES, SEVERITY_RANK, type MessageCode, type Severity } from './messages.js';
export type { Finding } from './finding.js';
export { parseCredentialArg, type CredentialSpec } from './credentials.js';
export { DEFAULT_ISTIO_VERSION, parseIstioVersion } from './proxy-versions.js';

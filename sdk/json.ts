// JSON for plugin configuration: the value type (json_value.ts) and its parser (json_parse.ts).
// Authors import both from here or from "meshwasm/sdk"; the two files do not import this one.
export { JsonKind, JsonValue } from "./json_value";
export { jsonError, parseJson } from "./json_parse";

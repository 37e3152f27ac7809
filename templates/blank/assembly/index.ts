// A small header filter: adds the configured request headers, removes unwanted ones, and tags
// every response with a header naming the request path it answered.
import {
  Action, HttpContext, RootContext, registerRootContext,
  requestHeaders, responseHeaders, logInfo, logError, Counter, formatInt,
} from "meshwasm/sdk";
// Makes the proxy_on_* callbacks, the ABI marker and the allocator module exports.
export * from "meshwasm/sdk/exports";

class Config {
  addNames: Array<string> = [];
  addValues: Array<string> = [];
  remove: Array<string> = [];
  responseHeader: string = "x-filter";
}

class BlankRoot extends RootContext {
  config: Config = new Config();
  requests: Counter | null = null;

  onConfigure(configurationSize: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false; // the SDK logged why; Envoy rejects the plugin
    if (!json.isObject()) {
      logError("configuration must be a JSON object");
      return false;
    }
    const cfg = new Config();
    const add = json.get("requestHeaders");
    if (add !== null) {
      for (let i = 0; i < add.keys.length; i++) {
        const value = add.get(add.keys[i]);
        if (value === null || !value.isString()) {
          logError("requestHeaders." + add.keys[i] + " must be a string");
          return false;
        }
        cfg.addNames.push(add.keys[i]);
        cfg.addValues.push(value.stringValue);
      }
    }
    cfg.remove = json.getStringArray("removeRequestHeaders");
    cfg.responseHeader = json.getString("responseHeader", "x-filter");
    this.config = cfg;
    this.requests = Counter.define("blank_requests_total");
    logInfo("configured: adds " + formatInt(cfg.addNames.length) + " request header(s)");
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new BlankFilter(contextId, this);
  }
}

class BlankFilter extends HttpContext {
  path: string = "";

  constructor(id: u32, public settings: BlankRoot) {
    super(id, settings);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const cfg = this.settings.config;
    for (let i = 0; i < cfg.addNames.length; i++) requestHeaders.set(cfg.addNames[i], cfg.addValues[i]);
    for (let i = 0; i < cfg.remove.length; i++) requestHeaders.remove(cfg.remove[i]);
    const path = requestHeaders.get(":path");
    this.path = path !== null ? path : "";
    const counter = this.settings.requests;
    if (counter !== null) counter.increment();
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    responseHeaders.set(this.settings.config.responseHeader, "blank; path=" + this.path);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new BlankRoot(id));

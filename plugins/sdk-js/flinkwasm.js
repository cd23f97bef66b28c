// flinkwasm: the JavaScript SDK for flinkwasm plugins.
//
// A plugin is an object with `info()` and `run(ctx, manifests)`; `definePlugin` turns it into
// the two functions the component exports:
//
//     import * as fw from "./flinkwasm.js";
//
//     export const { describe, run } = fw.definePlugin({
//       info: () => new fw.Info("team-labels", "0.1.0", "Adds a team label", fw.TRANSFORMER, {
//         schema: { type: "object", required: ["team"], properties: { team: { type: "string" } } },
//       }),
//       run(ctx, manifests) {
//         for (const m of manifests) m.setLabel("example.com/team", ctx.config.team);
//         return manifests;
//       },
//     });
//
// Build: `npm run build` (componentize-js, pinned in package.json, via build.mjs).
//
// This is the JavaScript face of the contract the Rust SDK (`plugins/sdk`) hides:
// `wit/plugin.wit`, `flinkwasm:plugin@0.3.0`. It is the only module of a plugin that touches
// the component's imports and exports. The plugin runs in the host's sandbox whatever its
// language: no files, network, environment or clock; only the manifests, its config and the
// files the pipeline grants it.
//
// Throwing `fw.PluginError` stops the plugin with one error diagnostic (the render fails naming
// the plugin, object and field). Any other exception is a bug: the component traps and the host
// reports it, as it does for a Rust panic.

import { log } from "flinkwasm:plugin/host@0.3.0";

/** Role: adds objects of its own. */
export const GENERATOR = "generator";
/** Role: changes what it is given. */
export const TRANSFORMER = "transformer";
/** Role: both adds and changes. */
export const BOTH = "both";

const ROLES = new Set([GENERATOR, TRANSFORMER, BOTH]);

/** What the plugin is: name, version, description, role, config schema, selection. */
export class Info {
  constructor(name, version, description, role, { schema = null, select = null } = {}) {
    if (!ROLES.has(role)) throw new TypeError(`role must be generator, transformer or both, not ${role}`);
    this.name = name;
    this.version = version;
    this.description = description;
    this.role = role;
    // A JSON Schema (object) for the config; null accepts only an empty config.
    this.schema = schema;
    // { groups, kinds }: only these objects are passed to `run`; null passes every object.
    this.select = select;
  }
}

/** Which object a diagnostic is about. */
export class ResourceRef {
  constructor(apiVersion, kind, name, namespace = undefined) {
    Object.assign(this, { apiVersion, kind, name, namespace });
  }
}

/** A finding for the user; `error` fails the render after this plugin. */
export class Diagnostic {
  constructor(severity, message, where = {}) {
    // `where` is { on, at }, or the Manifest the diagnostic is on.
    const { on = null, at = null } = where instanceof Manifest ? { on: where } : (where ?? {});
    if (on !== null && !(on instanceof Manifest) && !(on instanceof ResourceRef)) {
      throw new TypeError(`a diagnostic is on a Manifest or a ResourceRef, not ${typeof on}`);
    }
    if (at !== null && typeof at !== "string") {
      throw new TypeError(`a diagnostic's field is a dotted path (string), not ${typeof at}`);
    }
    this.severity = severity;
    this.message = String(message);
    // The object (a Manifest or ResourceRef) and the dotted field it is about.
    this.on = on instanceof Manifest ? on.reference() : on;
    this.at = at;
  }
  static error(message, where) { return new Diagnostic("error", message, where); }
  static warning(message, where) { return new Diagnostic("warning", message, where); }
  static info(message, where) { return new Diagnostic("info", message, where); }

  toWit() {
    const o = this.on;
    return {
      severity: this.severity,
      message: this.message,
      object: o ? { apiVersion: o.apiVersion, kind: o.kind, name: o.name, namespace: o.namespace ?? undefined } : undefined,
      field: this.at ?? undefined,
    };
  }
}

/** Stops the plugin; reaches the host as one error diagnostic on `on` at field `at`. */
export class PluginError extends Error {
  constructor(message, where) {
    super(message);
    this.diagnostic = Diagnostic.error(message, where);
  }
}

/**
 * One Kubernetes object. It stays the JSON text the host gave until it is read, and an object
 * the plugin did not touch goes back as that same text.
 */
export class Manifest {
  constructor(object = null, text = null) {
    this._object = object;
    this._text = text;
  }

  /** A new object with apiVersion, kind, metadata.name and (if given) metadata.namespace. */
  static build(apiVersion, kind, name, namespace = undefined) {
    const metadata = { name };
    if (namespace !== undefined && namespace !== null) metadata.namespace = namespace;
    return new Manifest({ apiVersion, kind, metadata });
  }

  /** The object (parsed now if it was kept as text); changes stick. */
  get object() {
    if (this._object === null) {
      const o = JSON.parse(this._text);
      if (o === null || typeof o !== "object" || Array.isArray(o)) throw new PluginError("a manifest is not a JSON object");
      this._object = o;
      this._text = null;
    }
    return this._object;
  }

  /** The object as JSON text, as the host expects it back. */
  toJSONText() {
    return this._text ?? JSON.stringify(this._object);
  }

  /** The value at `path` (an array of keys), or `fallback`. */
  get(path, fallback = undefined) {
    let node = this.object;
    for (const key of path) {
      if (node === null || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(node, key)) return fallback;
      node = node[key];
    }
    return node;
  }

  /** Sets the value at `path` (an array of keys), creating objects on the way. */
  set(path, value) {
    let node = this.object;
    for (const key of path.slice(0, -1)) {
      let child = Object.hasOwn(node, key) ? node[key] : undefined;
      if (child === null || typeof child !== "object" || Array.isArray(child)) {
        child = {};
        node[key] = child;
      }
      node = child;
    }
    node[path[path.length - 1]] = value;
  }

  /** Removes and returns the value at `path`, or undefined. */
  remove(path) {
    const parent = path.length > 1 ? this.get(path.slice(0, -1)) : this.object;
    if (parent === null || typeof parent !== "object" || Array.isArray(parent)) return undefined;
    const key = path[path.length - 1];
    if (!Object.hasOwn(parent, key)) return undefined;
    const value = parent[key];
    delete parent[key];
    return value;
  }

  get apiVersion() { return this.get(["apiVersion"], ""); }
  /** The API group ("" for core). */
  get group() { const a = this.apiVersion; const i = a.lastIndexOf("/"); return i < 0 ? "" : a.slice(0, i); }
  get kind() { return this.get(["kind"], ""); }
  get name() { return this.get(["metadata", "name"], ""); }
  get namespace() { return this.get(["metadata", "namespace"]); }

  /** True for objects of this group ("" for core) and kind. */
  isA(group, kind) { return this.group === group && this.kind === kind; }
  label(key) { return this.get(["metadata", "labels", key]); }
  setLabel(key, value) { this.set(["metadata", "labels", key], text("label", key, value)); }
  annotation(key) { return this.get(["metadata", "annotations", key]); }
  setAnnotation(key, value) { this.set(["metadata", "annotations", key], text("annotation", key, value)); }
  reference() { return new ResourceRef(this.apiVersion, this.kind, this.name, this.namespace); }
}

/** Label and annotation values are strings in Kubernetes: anything else is a bug. */
function text(what, key, value) {
  if (typeof value !== "string") throw new TypeError(`${what} ${key}: the value is a string in Kubernetes, not ${typeof value}`);
  return value;
}

/** Picks manifests by group, kind, name and labels (every given criterion must match). */
export class Selector {
  constructor({ group = null, kind = null, name = null, labels = {} } = {}) {
    Object.assign(this, { group, kind, name, labels });
  }
  matches(m) {
    return (this.group === null || m.group === this.group)
      && (this.kind === null || m.kind === this.kind)
      && (this.name === null || m.name === this.name)
      && Object.entries(this.labels).every(([k, v]) => m.label(k) === v);
  }
  select(manifests) { return manifests.filter((m) => this.matches(m)); }
}

/** Everything the plugin knows about the run. */
export class Context {
  constructor(ctx) {
    this.cluster = ctx.cluster;
    this.namespace = ctx.namespace;
    this.release = ctx.release;
    // Add objects of your own (render, Argo CD) or only change what you are given (Helm
    // post-render, KRM).
    this.generate = ctx.generate;
    // The caller's name, for logs only: decide from `generate`.
    this.caller = ctx.caller;
    this.kubeVersion = ctx.capabilities.kubeVersion;
    this.apiVersions = [...ctx.capabilities.apiVersions];
    const config = ctx.config.trim() === "" ? {} : JSON.parse(ctx.config);
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      throw new PluginError("the plugin configuration is not a JSON object");
    }
    // The config, already checked by the host against the plugin's schema.
    this.config = config;
    // Files the pipeline grants: [path, content], sorted by path.
    this.files = ctx.files.map((f) => [f.path, f.content]);
  }
  hasApi(apiVersion) { return this.apiVersions.includes(apiVersion); }
  file(path) { const f = this.files.find(([p]) => p === path); return f ? f[1] : undefined; }
}

/** What `run` returns: the new stream and diagnostics (a plain array of Manifests is fine). */
export class Output {
  constructor(manifests, diagnostics = []) {
    this.manifests = manifests;
    this.diagnostics = [...diagnostics];
  }
  push(diagnostic) { this.diagnostics.push(diagnostic); }
}

export function debug(message) { log("debug", message); }
export function info(message) { log("info", message); }
export function warn(message) { log("warn", message); }

/** Canonical JSON for the schema: keys sorted, so the text does not depend on insertion order. */
function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]));
  }
  return value;
}

/** The `describe` and `run` exports of the component, calling `plugin`. */
export function definePlugin(plugin) {
  return {
    describe() {
      const i = plugin.info();
      return {
        name: i.name,
        version: i.version,
        description: i.description,
        configSchema: i.schema === null ? "" : JSON.stringify(sorted(i.schema)),
        role: i.role,
        select: i.select === null ? undefined : { groups: [...i.select.groups], kinds: [...i.select.kinds] },
      };
    },
    run(ctx, manifests) {
      let out;
      try {
        out = plugin.run(new Context(ctx), manifests.map((t) => new Manifest(null, t)));
      } catch (e) {
        if (e instanceof PluginError) return { manifests: [], diagnostics: [e.diagnostic.toWit()] };
        // A thrown string or object has no message the engine prints: give it one.
        if (!(e instanceof Error)) throw new Error(`the plugin threw ${typeof e} ${String(e)}`);
        throw e;
      }
      if (out !== null && typeof out === "object" && typeof out.then === "function") {
        throw new TypeError("run returned a Promise: a plugin's run is synchronous (no async)");
      }
      if (!(out instanceof Output)) out = new Output(out);
      return {
        manifests: out.manifests.map((m) => m.toJSONText()),
        diagnostics: out.diagnostics.map((d) => d.toWit()),
      };
    },
  };
}

// Tests of the JavaScript SDK, run natively under Node (`npm test` in plugins/sdk-js), with the
// record shapes componentize-js gives and takes (camelCase fields, enum cases as strings,
// options as undefined). The e2e test `polyglot::the_python_and_javascript_sdks_pass_their_own_tests`
// runs them.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fw from "../flinkwasm.js";
import { logged } from "./host-stub.mjs";

const context = ({ config = "", files = [] } = {}) => ({
  cluster: "homelab", namespace: "confluent", release: "r", generate: true, caller: "render",
  capabilities: { kubeVersion: "1.31.0", apiVersions: ["v1", "apps/v1"] },
  config, files: files.map(([path, content]) => ({ path, content })),
});

const DEPLOYMENT = JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name: "web", namespace: "team-a", labels: { app: "web" } }, spec: { replicas: 1 } });
const CONFIGMAP = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" } });

const call = (run, ctx = {}, manifests = [DEPLOYMENT, CONFIGMAP]) =>
  fw.definePlugin({ info: () => new fw.Info("t", "0.1.0", "t", fw.TRANSFORMER), run }).run(context(ctx), manifests);

test("an untouched object goes back as the same text", () => {
  assert.deepEqual(call((ctx, ms) => ms), { manifests: [DEPLOYMENT, CONFIGMAP], diagnostics: [] });
});

test("identity, paths, labels and annotations", () => {
  const m = new fw.Manifest(null, DEPLOYMENT);
  assert.deepEqual([m.apiVersion, m.group, m.kind, m.name, m.namespace], ["apps/v1", "apps", "Deployment", "web", "team-a"]);
  assert.ok(m.isA("apps", "Deployment"));
  assert.ok(!m.isA("", "Deployment"));
  assert.equal(m.get(["spec", "replicas"]), 1);
  assert.equal(m.get(["spec", "missing", "deeper"]), undefined);
  assert.equal(m.get(["spec", "missing"], 7), 7);
  assert.equal(m.get(["metadata", "toString"]), undefined, "only own properties");
  m.set(["spec", "template", "metadata", "labels", "app"], "web");
  m.setLabel("team", "a");
  m.setAnnotation("note", "x");
  assert.deepEqual([m.label("team"), m.annotation("note")], ["a", "x"]);
  assert.equal(m.remove(["spec", "replicas"]), 1);
  assert.equal(m.remove(["spec", "replicas"]), undefined);
  assert.deepEqual(JSON.parse(m.toJSONText()).spec, { template: { metadata: { labels: { app: "web" } } } });
  const core = fw.Manifest.build("v1", "ConfigMap", "x");
  assert.deepEqual([core.group, core.namespace], ["", undefined]);
  assert.deepEqual(JSON.parse(core.toJSONText()), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } });
});

test("a value that is not an object is replaced on the way to a set", () => {
  const m = new fw.Manifest({ spec: "text" });
  m.set(["spec", "x"], 1);
  assert.deepEqual(m.object, { spec: { x: 1 } });
});

test("selectors match every given criterion", () => {
  const ms = [new fw.Manifest(null, DEPLOYMENT), new fw.Manifest(null, CONFIGMAP)];
  const names = (s) => s.select(ms).map((m) => m.name);
  assert.deepEqual(names(new fw.Selector({ group: "apps" })), ["web"]);
  assert.deepEqual(names(new fw.Selector({ group: "" })), ["cm"]);
  assert.deepEqual(names(new fw.Selector({ kind: "Deployment", labels: { app: "web" } })), ["web"]);
  assert.deepEqual(names(new fw.Selector({ kind: "Deployment", labels: { app: "db" } })), []);
  assert.equal(new fw.Selector().select(ms).length, 2);
});

test("config, files and capabilities", () => {
  let seen;
  call((ctx, ms) => {
    seen = { config: ctx.config, file: ctx.file("a.sql"), missing: ctx.file("b"), api: ctx.hasApi("apps/v1"),
      noApi: ctx.hasApi("batch/v1"), cluster: ctx.cluster, generate: ctx.generate, kube: ctx.kubeVersion };
    return ms;
  }, { config: '{"team": "a"}', files: [["a.sql", "SELECT 1"]] });
  assert.deepEqual(seen, { config: { team: "a" }, file: "SELECT 1", missing: undefined, api: true, noApi: false,
    cluster: "homelab", generate: true, kube: "1.31.0" });
});

test("an empty config is an empty object and a list is refused", () => {
  assert.deepEqual(call((ctx) => (Object.keys(ctx.config).length === 0 ? [] : null)).manifests, []);
  const out = call((ctx, ms) => ms, { config: "[1]" });
  assert.deepEqual(out.manifests, []);
  assert.equal(out.diagnostics[0].message, "the plugin configuration is not a JSON object");
});

test("an error names the object and the field", () => {
  const out = call((ctx, ms) => { throw new fw.PluginError("no", { on: ms[0], at: "spec.replicas" }); });
  assert.deepEqual(out, { manifests: [], diagnostics: [{ severity: "error", message: "no", field: "spec.replicas",
    object: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "team-a" } }] });
});

test("warnings go with the stream", () => {
  const out = call((ctx, ms) => new fw.Output(ms, [fw.Diagnostic.warning("look", { on: ms[1] }), fw.Diagnostic.info("fyi")]));
  assert.equal(out.manifests.length, 2);
  assert.deepEqual(out.diagnostics.map((d) => d.severity), ["warning", "info"]);
  assert.equal(out.diagnostics[0].object.kind, "ConfigMap");
  assert.equal(out.diagnostics[0].object.namespace, undefined);
  assert.equal(out.diagnostics[1].object, undefined);
});

test("any other exception is a bug and propagates", () => {
  assert.throws(() => call(() => { throw new TypeError("bug"); }), TypeError);
});

test("logs go to the host", () => {
  logged.length = 0;
  fw.debug("d"); fw.info("i"); fw.warn("w");
  assert.deepEqual(logged, [["debug", "d"], ["info", "i"], ["warn", "w"]]);
});

test("describe carries the schema (keys sorted), role and selection", () => {
  const info = new fw.Info("t", "1.2.3", "d", fw.BOTH, { schema: { type: "object", b: 1, a: { d: 1, c: 2 } },
    select: { groups: ["apps"], kinds: ["Deployment"] } });
  const d = fw.definePlugin({ info: () => info, run: null }).describe();
  assert.deepEqual(d, { name: "t", version: "1.2.3", description: "d", role: "both",
    configSchema: '{"a":{"c":2,"d":1},"b":1,"type":"object"}', select: { groups: ["apps"], kinds: ["Deployment"] } });
  const plain = fw.definePlugin({ info: () => new fw.Info("t", "1", "d", fw.TRANSFORMER), run: null }).describe();
  assert.deepEqual([plain.configSchema, plain.select], ["", undefined]);
});

test("an unknown role is refused", () => {
  assert.throws(() => new fw.Info("t", "1", "d", "mutator"), TypeError);
});

test("misuse is named: non-string labels, a diagnostic on something else, async run, thrown strings", () => {
  const m = new fw.Manifest(null, DEPLOYMENT);
  assert.throws(() => m.setLabel("replicas", 3), /label replicas: the value is a string/);
  assert.throws(() => m.setAnnotation("note", null), /annotation note/);
  assert.throws(() => new fw.PluginError("x", { on: 5 }), /on a Manifest or a ResourceRef, not number/);
  assert.throws(() => fw.Diagnostic.warning("x", { at: ["spec"] }), /dotted path/);
  assert.throws(() => call(async (ctx, ms) => ms), /run returned a Promise/);
  assert.throws(() => call(() => { throw "boom"; }), /the plugin threw string boom/);
});

test("a PluginError given the Manifest itself is on that object", () => {
  const out = call((ctx, ms) => { throw new fw.PluginError("no", ms[0]); });
  assert.equal(out.diagnostics[0].object.name, "web");
});

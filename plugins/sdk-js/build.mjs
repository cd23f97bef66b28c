// Builds a flinkwasm plugin written in JavaScript into a WebAssembly component:
//   node build.mjs [ENTRY.js] [OUT.wasm] [WIT]
// (defaults: app.js, plugin.wasm, wit/plugin.wit).
//
// It calls componentize-js, the library behind `jco componentize`, with the `plugin` world of
// flinkwasm's contract. wasi:http and the fetch-event handler are left out: the host does not
// link wasi:http, and it refuses a component that imports what it does not link.
//
// The module loader that runs the plugin's top level at build time sees only the entry's own
// directory, so the entry's directory is staged into a temporary one first, with this SDK's
// `flinkwasm.js` beside it when the plugin does not carry its own copy.
import { componentize } from "@bytecodealliance/componentize-js";
import { createHash } from "node:crypto";
import { cp, mkdtemp, rm, writeFile, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [entry = "app.js", out = "plugin.wasm", wit = "wit/plugin.wit"] = process.argv.slice(2);
const stage = await mkdtemp(join(tmpdir(), "flinkwasm-js-"));
try {
  await cp(dirname(resolve(entry)), stage, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|\.git)(\/|$)|\.wasm$/.test(src),
  });
  const sdk = join(stage, "flinkwasm.js");
  if (!(await access(sdk).then(() => true, () => false))) {
    await cp(join(dirname(fileURLToPath(import.meta.url)), "flinkwasm.js"), sdk);
  }
  const { component } = await componentize({
    sourcePath: join(stage, basename(entry)),
    witPath: resolve(wit),
    worldName: "plugin",
    disableFeatures: ["http", "fetch-event"],
  });
  await writeFile(out, component);
  const digest = createHash("sha256").update(component).digest("hex");
  console.log(`${out}: sha256:${digest}`);
} finally {
  await rm(stage, { recursive: true, force: true });
}

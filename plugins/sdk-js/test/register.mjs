// Runs the SDK natively under Node for its tests: the component's import of the host's `log`
// (`flinkwasm:plugin/host@0.3.0`) resolves to host-stub.mjs, which records the calls.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

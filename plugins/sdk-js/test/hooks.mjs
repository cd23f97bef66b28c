// Module resolution hook for the tests (see register.mjs).
export async function resolve(specifier, context, next) {
  if (specifier === "flinkwasm:plugin/host@0.3.0") {
    return { url: new URL("./host-stub.mjs", import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}

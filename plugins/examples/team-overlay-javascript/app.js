// team-overlay in JavaScript: the same plugin as plugins/examples/team-overlay (Rust), same
// output.
//
// - Labels every object with the team and its cost center (example.com/team,
//   example.com/cost-center), and each FlinkApplication's pods too (spec.podTemplate).
// - Adds a PodDisruptionBudget per FlinkApplication selecting its TaskManagers.
//
// Build: node ../../sdk-js/build.mjs app.js team-overlay.wasm ../../../wit/plugin.wit (the SDK
// supplies flinkwasm.js)

import * as fw from "./flinkwasm.js";

const SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["team", "costCenter"],
  properties: {
    team: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description: "Owning team" },
    costCenter: { type: "string", pattern: "^[A-Za-z0-9-]+$", description: "Cost center code" },
    maxUnavailable: { type: "integer", minimum: 0, description: "TaskManagers of one job down at once (default 1)" },
  },
};

function budget(app, ctx) {
  const pdb = fw.Manifest.build("policy/v1", "PodDisruptionBudget", `${app.name}-taskmanager`,
    app.namespace ?? ctx.namespace);
  pdb.setLabel("example.com/team", ctx.config.team);
  pdb.setLabel("example.com/cost-center", ctx.config.costCenter);
  pdb.set(["spec"], {
    maxUnavailable: ctx.config.maxUnavailable ?? 1,
    selector: { matchLabels: { app: app.name, component: "taskmanager" } },
  });
  return pdb;
}

export const { describe, run } = fw.definePlugin({
  info: () => new fw.Info("team-overlay", "0.1.0",
    "Cost-center labels on every object and a PodDisruptionBudget per FlinkApplication",
    fw.TRANSFORMER, { schema: SCHEMA }),

  run(ctx, manifests) {
    const { team, costCenter } = ctx.config;
    const budgets = [];
    for (const m of manifests) {
      m.setLabel("example.com/team", team);
      m.setLabel("example.com/cost-center", costCenter);
      if (m.isA("platform.confluent.io", "FlinkApplication")) {
        m.set(["spec", "podTemplate", "metadata", "labels", "example.com/team"], team);
        m.set(["spec", "podTemplate", "metadata", "labels", "example.com/cost-center"], costCenter);
        budgets.push(budget(m, ctx));
      }
    }
    const key = (m) => `${m.namespace ?? ""}/${m.name}`;
    const present = new Set(manifests.filter((m) => m.isA("policy", "PodDisruptionBudget")).map(key));
    return manifests.concat(budgets.filter((b) => !present.has(key(b))));
  },
});

"""team-overlay in Python: the same plugin as plugins/examples/team-overlay (Rust), same output.

- Labels every object with the team and its cost center (example.com/team,
  example.com/cost-center), and each FlinkApplication's pods too (spec.podTemplate).
- Adds a PodDisruptionBudget per FlinkApplication selecting its TaskManagers.

Build: ./build.sh (componentize-py, pinned in plugins/sdk-python/requirements.txt).
"""

import flinkwasm as fw

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["team", "costCenter"],
    "properties": {
        "team": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "description": "Owning team"},
        "costCenter": {"type": "string", "pattern": "^[A-Za-z0-9-]+$", "description": "Cost center code"},
        "maxUnavailable": {"type": "integer", "minimum": 0, "description": "TaskManagers of one job down at once (default 1)"},
    },
}


class TeamOverlay:
    def info(self):
        return fw.Info("team-overlay", "0.1.0",
                       "Cost-center labels on every object and a PodDisruptionBudget per FlinkApplication",
                       fw.TRANSFORMER, schema=SCHEMA)

    def run(self, ctx, manifests):
        team, cost_center = ctx.config["team"], ctx.config["costCenter"]
        budgets = []
        for m in manifests:
            m.set_label("example.com/team", team)
            m.set_label("example.com/cost-center", cost_center)
            if m.is_a("platform.confluent.io", "FlinkApplication"):
                m.set(["spec", "podTemplate", "metadata", "labels", "example.com/team"], team)
                m.set(["spec", "podTemplate", "metadata", "labels", "example.com/cost-center"], cost_center)
                budgets.append(budget(m, ctx))
        present = {(m.namespace or "", m.name) for m in manifests if m.is_a("policy", "PodDisruptionBudget")}
        return manifests + [b for b in budgets if (b.namespace or "", b.name) not in present]


def budget(app, ctx):
    pdb = fw.Manifest.build("policy/v1", "PodDisruptionBudget", f"{app.name}-taskmanager",
                            app.namespace or ctx.namespace)
    pdb.set_label("example.com/team", ctx.config["team"])
    pdb.set_label("example.com/cost-center", ctx.config["costCenter"])
    pdb.set(["spec"], {
        "maxUnavailable": ctx.config.get("maxUnavailable", 1),
        "selector": {"matchLabels": {"app": app.name, "component": "taskmanager"}},
    })
    return pdb


WitWorld = fw.export(TeamOverlay())

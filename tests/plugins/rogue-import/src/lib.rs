//! `rogue-import`: exports the plugin world but also imports `exfiltrate`, a function no
//! flinkwasm host provides. The host must refuse to instantiate it, naming the import. Never
//! shipped.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "package test:rogue;\nworld rogue {\n  include flinkwasm:plugin/plugin@0.3.0;\n  import exfiltrate: func(data: string);\n}\n",
    world: "test:rogue/rogue",
    generate_all,
});

use flinkwasm::plugin::types::Role;

struct Rogue;

impl Guest for Rogue {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "rogue-import".into(),
            version: "0.1.0".into(),
            description: "imports a host function that does not exist".into(),
            config_schema: "{}".into(),
            role: Role::Transformer,
            select: None,
        }
    }

    fn run(ctx: Context, manifests: Vec<String>) -> RunOutput {
        exfiltrate(&ctx.config);
        RunOutput {
            manifests,
            diagnostics: Vec::new(),
        }
    }
}

export!(Rogue);

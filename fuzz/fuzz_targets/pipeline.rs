//! A post-render pipeline with a transformer plugin (the built-in flink-environment, which
//! lowers FlinkEnvironments and FlinkApplications) over arbitrary input: it either fails with
//! an error or returns objects that write and re-read unchanged; it never panics or hangs.

#![no_main]

use flinkwasm::pipeline::PipelineFile;
use flinkwasm::plan::{Options, Plan};
use flinkwasm::run::{self, Hooks, Input};
use flinkwasm::runtime::{Cache, Runtime, wit};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(Cache::from_env(), false).expect("a runtime"))
}

fn pipeline() -> &'static PipelineFile {
    static P: OnceLock<PipelineFile> = OnceLock::new();
    P.get_or_init(|| {
        serde_yaml::from_str(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: fuzz}\nspec:\n  target: {namespace: confluent}\n  plugins:\n    - builtin: flink-environment\n    - builtin: monitoring\n",
        )
        .expect("the fuzz pipeline")
    })
}

fuzz_target!(|data: &[u8]| {
    struct NoHooks;
    impl Hooks for NoHooks {}
    let opts = Options::new(wit::Mode::PostRender);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = Input::Text {
        text: text.to_string(),
        origin: "fuzz".into(),
    };
    let Ok(plan) = Plan::resolve(pipeline(), std::path::Path::new("."), &opts) else {
        return;
    };
    let Ok(mut rendered) = run::run(runtime(), &plan, input, &NoHooks) else {
        return;
    };
    let objects = rendered.stream.objects().expect("held objects parse");
    let written = rendered.stream.to_yaml().expect("writing");
    let reread = flinkwasm::stream::parse(&written, "rewritten").expect("our output parses");
    assert_eq!(objects, reread);
});

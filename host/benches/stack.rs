//! flinkwasm's performance benchmark: `cargo bench -p flinkwasm --bench stack`.
//!
//! Every figure is measured side by side in one run, against a baseline run in the same loop
//! (the runs alternate, so a noisy neighbour slows both), and reported as a ratio of medians:
//!
//! - **warm render**: `flinkwasm render` of the whole stack (five built-in plugins, default
//!   cluster) with a warm compile cache, against `kubectl kustomize` building a static overlay
//!   tree that holds the same objects. The tree is generated from flinkwasm's own output (a base
//!   with every object, an overlay adding the stack's `part-of` label), and the two outputs are
//!   checked to be the same objects before anything is timed;
//! - **cold render**: the same render with an empty compile cache, each run;
//! - **post-render**: a Helm-sized stream (a real-looking operator release per team plus
//!   FlinkEnvironments and FlinkApplications, `FLINKWASM_BENCH_MB`, default 20 MB) through
//!   `flink-operator` and `monitoring`, against a native program that only parses and re-emits
//!   the same stream with the same YAML code (`flinkwasm::stream::parse` and `write`: this
//!   binary, run as `stack floor`);
//! - **an external plugin, local file against OCI**: the warm render with one more plugin (a copy
//!   of the `cluster-overlay` component, so it does no work of its own) pinned as a `path:`
//!   file, against the same plugin pinned by digest from a registry (Debian's
//!   `docker-registry`, started here on 127.0.0.1; the case is skipped without it), pulled
//!   once: a warm run reads it from the cache, so the two should cost the same;
//! - **peak memory** of every process (`wait4`'s `ru_maxrss`);
//! - **`argocd generate` per child**: the Config Management Plugin's `generate` command (from
//!   the shipped `charts/argocd-cmp/plugin.yaml`) for each child Application the `workloads/`
//!   root renders, run as the repo-server runs it (environment cleared, then Argo CD's
//!   `ARGOCD_APP_*`, the child's plugin env, `KUBE_VERSION` and `KUBE_API_VERSIONS`), warm:
//!   `init` and one `generate` first, so the compile cache is warm and the chart is in the
//!   cache. The charts come from a real chart repository on 127.0.0.1 started here, and Helm is
//!   the tests' fixture (`tests/helm/helm-fixture`, the Helm 4 engine) via `FLINKWASM_HELM`;
//!   without the fixture or helm-python-sdk those rows say why they were skipped. No baseline:
//!   the goal is an absolute 2 s.
//!
//! Results go to stdout as a table and to `target/bench/stack.json` (and a line of
//! `target/bench/history.jsonl`), with the commit, so runs on two commits can be compared; the
//! previous result is printed beside the new one. `FLINKWASM_BENCH_RUNS` sets the runs per case.

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The tests' chart repository on 127.0.0.1 and `helm` fixture, shared rather than copied.
#[allow(dead_code)]
#[path = "../../tests/src/helm.rs"]
mod helm;

/// The tests' builds of Python and JavaScript plugins (componentize-py, componentize-js).
#[allow(dead_code)]
#[path = "../../tests/src/polyglot.rs"]
mod polyglot;

/// What `helm.rs` and `polyglot.rs` take from the tests' harness: a path in the repository.
mod harness {
    use std::path::{Path, PathBuf};

    /// A path in the repository (`rel` from its root).
    pub fn repo(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
    }
}

/// One release of the operator chart plus its team's FlinkEnvironment, then one FlinkApplication.
const RELEASE: &str = include_str!("operator-release.yaml");
/// FlinkApplications per team in the post-render stream.
const APPS_PER_TEAM: usize = 12;
/// The stack's label that the kustomize overlay adds back.
const PART_OF: &str = "app.kubernetes.io/part-of";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("floor") {
        floor()
    } else {
        bench()
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// The native floor: parse the stream on stdin and write it again, as flinkwasm does around its
/// plugins, and nothing else.
fn floor() -> Result<()> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading stdin")?;
    let objects = flinkwasm::stream::parse(&text, "stdin")?;
    drop(text);
    let out = flinkwasm::stream::write(&objects)?;
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("writing stdout")
}

/// One process run: wall time and peak resident memory.
#[derive(Debug, Clone, Copy)]
struct Sample {
    secs: f64,
    rss_kib: u64,
}

/// Runs `cmd` with stdin from `input` (or nothing) and stdout into `output`, and measures it.
fn measure(cmd: &mut Command, input: Option<&Path>, output: &Path) -> Result<Sample> {
    let stdin = match input {
        Some(p) => {
            Stdio::from(fs::File::open(p).with_context(|| format!("opening {}", p.display()))?)
        }
        None => Stdio::null(),
    };
    let stdout =
        fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let start = Instant::now();
    let child = cmd
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    // Read stderr before waiting so a chatty child cannot block on a full pipe.
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr {
        e.read_to_string(&mut stderr).ok();
    }
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value, and wait4 only writes the two out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    ensure!(
        waited == pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed (status {status}):\n{stderr}"
    );
    Ok(Sample {
        secs,
        rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// The medians of a case's samples.
#[derive(Debug, Clone, Copy)]
struct Median {
    secs: f64,
    rss_kib: u64,
}

fn median(samples: &[Sample]) -> Median {
    let mut secs: Vec<f64> = samples.iter().map(|s| s.secs).collect();
    let mut rss: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    secs.sort_by(f64::total_cmp);
    rss.sort_unstable();
    Median {
        secs: secs.get(secs.len() / 2).copied().unwrap_or(f64::NAN),
        rss_kib: rss.get(rss.len() / 2).copied().unwrap_or(0),
    }
}

/// The objects of a stream, sorted by identity, for comparing two tools' outputs.
fn objects_of(path: &Path) -> Result<Vec<Value>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut objects = flinkwasm::stream::parse(&text, &path.display().to_string())?;
    objects.sort_by_key(flinkwasm::stream::identity);
    Ok(objects.into_iter().map(Value::Object).collect())
}

/// Writes the kustomize tree equivalent to flinkwasm's render in `rendered`: `base/` with one
/// file per object (without the stack's `part-of` label) and `overlay/` adding the label back.
fn kustomize_tree(rendered: &Path, dir: &Path) -> Result<PathBuf> {
    let text = fs::read_to_string(rendered)?;
    let objects = flinkwasm::stream::parse(&text, "render")?;
    let base = dir.join("base");
    let overlay = dir.join("overlay");
    fs::create_dir_all(&base)?;
    fs::create_dir_all(&overlay)?;
    let mut resources = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    let mut part_of = None;
    for (i, mut obj) in objects.into_iter().enumerate() {
        let labels = obj
            .get_mut("metadata")
            .and_then(|m| m.get_mut("labels"))
            .and_then(Value::as_object_mut)
            .context("a rendered object has no labels")?;
        let value = labels
            .remove(PART_OF)
            .context("a rendered object has no part-of label")?;
        part_of = Some(value);
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("object")
            .to_lowercase();
        let file = format!("{i:02}-{kind}.yaml");
        fs::write(base.join(&file), flinkwasm::stream::write(&[obj])?)?;
        writeln!(resources, "  - {file}")?;
    }
    fs::write(base.join("kustomization.yaml"), resources)?;
    let part_of = part_of.context("the render is empty")?;
    let part_of = part_of.as_str().context("part-of is not a string")?;
    fs::write(
        overlay.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\nlabels:\n  - pairs:\n      {PART_OF}: {part_of}\n    includeSelectors: false\n"
        ),
    )?;
    Ok(overlay)
}

/// The post-render input: `megabytes` of operator releases, one per team, each with its
/// FlinkEnvironment and FlinkApplications. Returns the number of objects.
fn post_render_stream(path: &Path, megabytes: usize) -> Result<usize> {
    let (release, app) = RELEASE
        .rsplit_once("\n---\n")
        .context("operator-release.yaml has no FlinkApplication document")?;
    let mut out = String::with_capacity(megabytes << 20);
    let mut objects = 0;
    let per_release = release.matches("\n---\n").count();
    let mut team = 0;
    while out.len() < megabytes << 20 {
        let (ns, operator) = if team == 0 {
            (
                "confluent".to_string(),
                "flink-kubernetes-operator".to_string(),
            )
        } else {
            (
                format!("team-{team:04}"),
                format!("team-{team:04}-operator"),
            )
        };
        out.push_str(
            &release
                .replace("@TEAM@", &ns)
                .replace("@OPERATOR@", &operator),
        );
        objects += per_release;
        for j in 0..APPS_PER_TEAM {
            out.push_str("\n---\n");
            out.push_str(
                &app.replace("@TEAM@", &ns)
                    .replace("@APP@", &format!("{ns}-job-{j:02}")),
            );
            objects += 1;
        }
        out.push('\n');
        team += 1;
    }
    fs::write(path, out)?;
    Ok(objects)
}

/// A case's result.
struct Row {
    case: String,
    flinkwasm: Median,
    baseline_name: &'static str,
    baseline: Option<Median>,
    /// What the ratio means, e.g. "kustomize time / flinkwasm time".
    ratio: Option<f64>,
    goal: String,
    met: bool,
    /// Why the case was not measured.
    skipped: Option<String>,
}

fn bench() -> Result<()> {
    let runs: usize = std::env::var("FLINKWASM_BENCH_RUNS")
        .ok()
        .map(|v| v.parse().context("FLINKWASM_BENCH_RUNS is not a number"))
        .transpose()?
        .unwrap_or(11);
    let megabytes: usize = std::env::var("FLINKWASM_BENCH_MB")
        .ok()
        .map(|v| v.parse().context("FLINKWASM_BENCH_MB is not a number"))
        .transpose()?
        .unwrap_or(20);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_flinkwasm"));
    let me = std::env::current_exe().context("finding the benchmark's own binary")?;
    let work = tempfile::tempdir().context("creating a scratch directory")?;
    let w = work.path();
    let empty = w.join("stack");
    fs::create_dir_all(&empty)?;
    let warm_cache = w.join("cache");
    let out = w.join("out.yaml");
    let render = |cache: &Path| {
        let mut c = Command::new(&bin);
        c.arg("render")
            .current_dir(&empty)
            .env("FLINKWASM_CACHE_DIR", cache)
            .env("RUST_LOG", "error");
        c
    };
    eprintln!("flinkwasm: {}\nruns per case: {runs}", bin.display());

    // Warm render against kubectl kustomize on the same objects.
    measure(&mut render(&warm_cache), None, &out)?;
    let rendered = w.join("rendered.yaml");
    fs::copy(&out, &rendered)?;
    let overlay = kustomize_tree(&rendered, &w.join("tree"))?;
    let kustomize = |o: &Path| {
        let mut c = Command::new("kubectl");
        c.arg("kustomize").arg(o);
        c
    };
    let kout = w.join("kustomize.yaml");
    let have_kustomize = measure(&mut kustomize(&overlay), None, &kout).is_ok();
    if have_kustomize {
        ensure!(
            objects_of(&kout)? == objects_of(&rendered)?,
            "kubectl kustomize's output differs from flinkwasm's: the trees are not equivalent"
        );
    } else {
        eprintln!("kubectl kustomize is not available: the warm render has no baseline");
    }
    let (mut warm, mut kust) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        warm.push(measure(&mut render(&warm_cache), None, &out)?);
        if have_kustomize {
            kust.push(measure(&mut kustomize(&overlay), None, &kout)?);
        }
    }
    ensure!(
        fs::read(&out)? == fs::read(&rendered)?,
        "warm renders differ"
    );

    let (file_m, oci_m) = external_plugin(&bin, w, &warm_cache, runs)?.unzip();
    let language_rows = languages(&bin, w, runs)?;

    // Cold render: an empty cache every run.
    let mut cold = Vec::new();
    for i in 0..runs {
        let cache = w.join(format!("cold-{i}"));
        cold.push(measure(&mut render(&cache), None, &out)?);
        fs::remove_dir_all(&cache).ok();
    }
    ensure!(
        fs::read(&out)? == fs::read(&rendered)?,
        "cold and warm renders differ"
    );

    // argocd generate for each child of workloads/, warm, with the chart cached. Before the
    // post-render case: a child forked from this process starts with its peak memory, and
    // parsing the post-render output grows it.
    let (generate_rows, generate_note) = argocd_children(&bin, runs, w)?;

    // Post-render throughput against the native floor.
    let stream = w.join("stream.yaml");
    let objects = post_render_stream(&stream, megabytes)?;
    let input_bytes = fs::metadata(&stream)?.len();
    let post = || {
        let mut c = Command::new(&bin);
        c.args([
            "post-render",
            "--plugin",
            "flink-operator",
            "--plugin",
            "monitoring",
        ])
        .args([
            "--api-versions",
            "cert-manager.io/v1,monitoring.coreos.com/v1",
        ])
        .env("FLINKWASM_CACHE_DIR", &warm_cache)
        .env("RUST_LOG", "error");
        c
    };
    let floor_cmd = || {
        let mut c = Command::new(&me);
        c.arg("floor");
        c
    };
    let fout = w.join("floor.yaml");
    let post_runs = runs.div_ceil(2).max(3);
    let (mut posts, mut floors) = (Vec::new(), Vec::new());
    for _ in 0..post_runs {
        posts.push(measure(&mut post(), Some(&stream), &out)?);
        floors.push(measure(&mut floor_cmd(), Some(&stream), &fout)?);
    }
    let post_objects = flinkwasm::stream::parse(&fs::read_to_string(&out)?, "post-render")?.len();
    ensure!(
        post_objects == objects,
        "post-render returned {post_objects} objects for {objects}"
    );

    let warm_m = median(&warm);
    let kust_m = (!kust.is_empty()).then(|| median(&kust));
    let cold_m = median(&cold);
    let post_m = median(&posts);
    let floor_m = median(&floors);
    let kust_ratio = kust_m.map(|k| warm_m.secs / k.secs);
    let throughput = floor_m.secs / post_m.secs;
    let mem_ratio = (post_m.rss_kib * 1024) as f64 / input_bytes as f64;
    let mut rows = vec![
        Row {
            case: "render, warm cache".into(),
            flinkwasm: warm_m,
            baseline_name: "kubectl kustomize",
            baseline: kust_m,
            ratio: kust_ratio,
            goal: "time ≤ 1/8 of kustomize (0.125)".into(),
            met: kust_ratio.is_some_and(|r| r <= 0.125),
            skipped: None,
        },
        Row {
            case: "render, empty cache".into(),
            flinkwasm: cold_m,
            baseline_name: "kubectl kustomize",
            baseline: kust_m,
            ratio: kust_m.map(|k| cold_m.secs / k.secs),
            goal: "time < 1 s".into(),
            met: cold_m.secs < 1.0,
            skipped: None,
        },
        Row {
            case: "render, peak memory".into(),
            flinkwasm: cold_m.max_rss(warm_m),
            baseline_name: "",
            baseline: None,
            ratio: None,
            goal: "< 64 MiB".into(),
            met: cold_m.max_rss(warm_m).rss_kib < 64 * 1024,
            skipped: None,
        },
        Row {
            case: "render + external plugin, local file".into(),
            flinkwasm: file_m.unwrap_or(warm_m),
            baseline_name: "kubectl kustomize",
            baseline: if file_m.is_some() { kust_m } else { None },
            ratio: file_m.zip(kust_m).map(|(f, k)| f.secs / k.secs),
            goal: "time ≤ 1/8 of kustomize (0.125)".into(),
            met: file_m
                .zip(kust_m)
                .is_some_and(|(f, k)| f.secs / k.secs <= 0.125),
            skipped: file_m
                .is_none()
                .then(|| "docker-registry is not installed".to_string()),
        },
        Row {
            case: "render + external plugin, OCI".into(),
            flinkwasm: oci_m.unwrap_or(warm_m),
            baseline_name: "the same, local file",
            baseline: file_m,
            ratio: oci_m.zip(file_m).map(|(o, f)| o.secs / f.secs),
            goal: "≤ 1.1 of the local file".into(),
            met: oci_m
                .zip(file_m)
                .is_some_and(|(o, f)| o.secs / f.secs <= 1.1),
            skipped: oci_m
                .is_none()
                .then(|| "docker-registry is not installed".to_string()),
        },
        Row {
            case: "post-render, throughput".into(),
            flinkwasm: post_m,
            baseline_name: "native parse+emit",
            baseline: Some(floor_m),
            ratio: Some(throughput),
            goal: "≥ 0.6 of native throughput".into(),
            met: throughput >= 0.6,
            skipped: None,
        },
        Row {
            case: "post-render, peak memory".into(),
            flinkwasm: post_m,
            baseline_name: "input size",
            baseline: None,
            ratio: Some(mem_ratio),
            goal: "< 4x the input".into(),
            met: mem_ratio < 4.0,
            skipped: None,
        },
    ];
    rows.extend(language_rows);
    rows.extend(generate_rows);

    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    let mut table = String::new();
    writeln!(
        table,
        "\nflinkwasm benchmark at {commit}{} (medians of {runs} runs; post-render {post_runs} runs of {:.1} MB, {objects} objects)\n",
        if dirty { " + uncommitted changes" } else { "" },
        input_bytes as f64 / 1e6
    )?;
    writeln!(
        table,
        "| case | flinkwasm | peak RSS | baseline | baseline time | baseline RSS | ratio | goal | met |"
    )?;
    writeln!(table, "|---|---|---|---|---|---|---|---|---|")?;
    for r in &rows {
        if let Some(why) = &r.skipped {
            writeln!(
                table,
                "| {} | skipped: {why} | - | - | - | - | - | {} | - |",
                r.case, r.goal
            )?;
            continue;
        }
        writeln!(
            table,
            "| {} | {:.3} s | {:.1} MiB | {} | {} | {} | {} | {} | {} |",
            r.case,
            r.flinkwasm.secs,
            r.flinkwasm.rss_kib as f64 / 1024.0,
            r.baseline_name,
            r.baseline
                .map_or("-".into(), |b| format!("{:.3} s", b.secs)),
            r.baseline.map_or("-".into(), |b| format!(
                "{:.1} MiB",
                b.rss_kib as f64 / 1024.0
            )),
            r.ratio.map_or("-".into(), |x| format!("{x:.3}")),
            r.goal,
            if r.met { "yes" } else { "NO" }
        )?;
    }
    writeln!(
        table,
        "\nratios: warm render / kustomize = {}; post-render throughput / native = {throughput:.2} ({:.1} MB/s vs {:.1} MB/s); post-render peak RSS / input = {mem_ratio:.2}",
        kust_ratio.map_or("n/a".into(), |r| format!("{r:.3} (1/{:.0})", 1.0 / r)),
        input_bytes as f64 / 1e6 / post_m.secs,
        input_bytes as f64 / 1e6 / floor_m.secs,
    )?;
    writeln!(table, "\n{generate_note}")?;
    print!("{table}");

    let result = json!({
        "commit": commit,
        "dirty": dirty,
        "runs": runs,
        "postRenderBytes": input_bytes,
        "postRenderObjects": objects,
        "rows": rows.iter().map(|r| json!({
            "case": r.case,
            "seconds": r.flinkwasm.secs,
            "peakRssKiB": r.flinkwasm.rss_kib,
            "baseline": r.baseline_name,
            "baselineSeconds": r.baseline.map(|b| b.secs),
            "baselinePeakRssKiB": r.baseline.map(|b| b.rss_kib),
            "ratio": r.ratio,
            "goal": r.goal,
            "met": r.met,
            "skipped": r.skipped,
        })).collect::<Vec<_>>(),
    });
    save(&result)
}

/// Debian's `docker-registry` on 127.0.0.1 with its storage in `dir`, stopped when dropped.
struct LocalRegistry {
    child: std::process::Child,
    host: String,
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a registry, or `None` when `docker-registry` is not installed or does not answer.
fn local_registry(dir: &Path) -> Option<LocalRegistry> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let host = format!("127.0.0.1:{port}");
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog: {{level: error, accesslog: {{disabled: true}}}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: {host}, secret: bench}}\n",
            dir.join("registry").display()
        ),
    )
    .ok()?;
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let registry = LocalRegistry { child, host };
    for _ in 0..200 {
        if std::net::TcpStream::connect(&registry.host).is_ok() {
            return Some(registry);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

/// The warm render with one external plugin as a local file and from OCI, alternating: the
/// medians, or `None` when no registry can be started.
fn external_plugin(
    bin: &Path,
    w: &Path,
    cache: &Path,
    runs: usize,
) -> Result<Option<(Median, Median)>> {
    let dir = w.join("oci");
    fs::create_dir_all(&dir)?;
    let Some(registry) = local_registry(&dir) else {
        eprintln!("docker-registry is not available: the OCI case is skipped");
        return Ok(None);
    };
    let component = flinkwasm::builtin::get("cluster-overlay")
        .context("the cluster-overlay built-in")?
        .component;
    let wasm = dir.join("team-plugin.wasm");
    fs::write(&wasm, component)?;
    let pushed = Command::new(bin)
        .args(["plugins", "push"])
        .arg(&wasm)
        .arg(format!("oci://{}/bench/team-plugin:1", registry.host))
        .env("DOCKER_CONFIG", &dir)
        .output()?;
    ensure!(
        pushed.status.success(),
        "plugins push: {}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let reference = String::from_utf8(pushed.stdout)?.trim().to_string();
    let digest = flinkwasm::runtime::sha256_hex(component);
    let pipeline = |name: &str, source: &str| -> Result<PathBuf> {
        let d = w.join(name);
        fs::create_dir_all(&d)?;
        let text = flinkwasm::pipeline::DEFAULT_PIPELINE.replace(
            "    - builtin: cluster-overlay\n",
            &format!("    - builtin: cluster-overlay\n    - name: team-plugin\n{source}"),
        );
        ensure!(
            text.contains("team-plugin"),
            "the default pipeline changed shape"
        );
        if name == "file" {
            fs::write(d.join("team-plugin.wasm"), component)?;
        }
        fs::write(d.join("flinkwasm.yaml"), text)?;
        Ok(d)
    };
    let file_dir = pipeline(
        "file",
        &format!("      path: team-plugin.wasm\n      sha256: sha256:{digest}\n"),
    )?;
    let oci_dir = pipeline("oci-pipeline", &format!("      oci: {reference}\n"))?;
    let render = |d: &Path| {
        let mut c = Command::new(bin);
        c.arg("render")
            .current_dir(d)
            .env("FLINKWASM_CACHE_DIR", cache)
            .env("DOCKER_CONFIG", &dir)
            .env("RUST_LOG", "error");
        c
    };
    let (out_file, out_oci) = (w.join("file.yaml"), w.join("oci.yaml"));
    // Warm both (the OCI one pulls here), then check they agree.
    measure(&mut render(&file_dir), None, &out_file)?;
    measure(&mut render(&oci_dir), None, &out_oci)?;
    ensure!(
        fs::read(&out_file)? == fs::read(&out_oci)?,
        "the local-file and OCI renders differ"
    );
    // Warm runs need no registry: it is stopped before they are timed.
    drop(registry);
    let (mut file, mut oci) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        file.push(measure(&mut render(&file_dir), None, &out_file)?);
        oci.push(measure(&mut render(&oci_dir), None, &out_oci)?);
    }
    Ok(Some((median(&file), median(&oci))))
}

/// Cold runs (an empty compile cache each) of a plugin per language: a Python or JavaScript
/// component takes seconds to compile.
const COLD_RUNS: usize = 3;

/// The team-overlay example as an external plugin in Rust, Python and JavaScript, rendering
/// flink-examples: warm (compiled code cached: instantiate and run) and cold (first compile),
/// each language beside Rust. The three renders must agree byte for byte.
fn languages(bin: &Path, w: &Path, runs: usize) -> Result<Vec<Row>> {
    let store = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("bench/polyglot");
    let rust = PathBuf::from(env!("FLINKWASM_BENCH_TEAM_OVERLAY_WASM"));
    let mut components = vec![("Rust", rust)];
    for lang in polyglot::Lang::ALL {
        let name = match lang {
            polyglot::Lang::Python => "Python",
            polyglot::Lang::JavaScript => "JavaScript",
        };
        eprintln!("building team-overlay in {name} (cached by source digest)");
        components.push((name, polyglot::team_overlay(lang, &store)));
    }
    let mut measured = Vec::new();
    let mut first: Option<Vec<u8>> = None;
    for (name, wasm) in &components {
        let dir = w.join(format!("lang-{name}"));
        fs::create_dir_all(&dir)?;
        for f in ["state-machine.yaml", "flink-sql.yaml"] {
            fs::copy(
                harness::repo(&format!("workloads/flink-examples/{f}")),
                dir.join(f),
            )?;
        }
        let bytes = fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
        fs::write(dir.join("team-overlay.wasm"), &bytes)?;
        fs::write(
            dir.join("flinkwasm.yaml"),
            format!(
                "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: team}}\nspec:\n  target: {{namespace: confluent}}\n  resources: [state-machine.yaml, flink-sql.yaml]\n  plugins:\n    - builtin: flink-environment\n      config: {{generate: false, argocd: {{enabled: false}}}}\n    - name: team-overlay\n      path: team-overlay.wasm\n      sha256: sha256:{}\n      config: {{team: payments, costCenter: CC-4711}}\n      limits: {}\n",
                flinkwasm::runtime::sha256_hex(&bytes),
                polyglot::LIMITS
            ),
        )?;
        let out = w.join(format!("lang-{name}.yaml"));
        let render = |cache: &Path| {
            let mut c = Command::new(bin);
            c.arg("render")
                .current_dir(&dir)
                .env("FLINKWASM_CACHE_DIR", cache)
                .env("RUST_LOG", "error");
            c
        };
        let mut cold = Vec::new();
        for i in 0..COLD_RUNS {
            let cache = w.join(format!("lang-{name}-cold-{i}"));
            cold.push(measure(&mut render(&cache), None, &out)?);
            fs::remove_dir_all(&cache).ok();
        }
        let cache = w.join(format!("lang-{name}-cache"));
        measure(&mut render(&cache), None, &out)?;
        let mut warm = Vec::new();
        for _ in 0..runs {
            warm.push(measure(&mut render(&cache), None, &out)?);
        }
        let rendered = fs::read(&out)?;
        match &first {
            None => first = Some(rendered),
            Some(rust) => ensure!(
                rust == &rendered,
                "team-overlay in {name} renders other bytes than in Rust"
            ),
        }
        measured.push((*name, median(&warm), median(&cold), bytes.len()));
    }
    let (_, rust_warm, rust_cold, _) = measured[0];
    let mut rows = Vec::new();
    for (name, warm, cold, size) in measured {
        let beside_rust = name != "Rust";
        rows.push(Row {
            case: format!("team plugin in {name}, warm ({:.1} MB)", size as f64 / 1e6),
            flinkwasm: warm,
            baseline_name: if beside_rust {
                "the same plugin in Rust"
            } else {
                ""
            },
            baseline: beside_rust.then_some(rust_warm),
            ratio: beside_rust.then(|| warm.secs / rust_warm.secs),
            goal: "< 0.5 s (instantiate and run)".into(),
            met: warm.secs < 0.5,
            skipped: None,
        });
        rows.push(Row {
            case: format!("team plugin in {name}, cold (first compile)"),
            flinkwasm: cold,
            baseline_name: if beside_rust {
                "the same plugin in Rust"
            } else {
                ""
            },
            baseline: beside_rust.then_some(rust_cold),
            ratio: beside_rust.then(|| cold.secs / rust_cold.secs),
            // Half the compileTimeout README recommends for these components (120 s).
            goal: "< 60 s, once (then cached)".into(),
            met: cold.secs < 60.0,
            skipped: None,
        });
    }
    Ok(rows)
}

/// Why the Helm fixture cannot run here, if it cannot.
fn helm_fixture_missing() -> Option<String> {
    let fixture = harness::repo("tests/helm/helm-fixture");
    if !fixture.is_file() {
        return Some(format!("the Helm fixture {} is missing", fixture.display()));
    }
    let import = Command::new("python3")
        .args(["-c", "import helm_python"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match import {
        Err(e) => Some(format!(
            "python3 cannot be run ({e}); tests/setup.sh installs it"
        )),
        Ok(s) if !s.success() => Some(
            "helm-python-sdk (the Helm 4 engine the fixture runs on) is not installed; \
             tests/setup.sh installs it"
                .into(),
        ),
        Ok(_) => None,
    }
}

/// A string field of `v` at `path`, or an error naming it.
fn text<'a>(v: &'a Value, path: &str) -> Result<&'a str> {
    v.pointer(path)
        .and_then(Value::as_str)
        .with_context(|| format!("{path} is not a string in {v}"))
}

/// One child Application of the root, as Argo CD would render it.
struct Child {
    name: String,
    path: String,
    env: Vec<(String, String)>,
}

/// Times a warm `argocd generate` of each child of `workloads/` (the root rendered for its
/// default cluster), as the repo-server runs it; returns the rows and a note on how the chart
/// is cached.
fn argocd_children(bin: &Path, runs: usize, work: &Path) -> Result<(Vec<Row>, String)> {
    const CHILDREN: [&str; 3] = [
        "flink-kubernetes-operator",
        "cmf-operator",
        "flink-resources",
    ];
    let goal = "< 2 s (warm, chart cached)";
    let skipped = |why: &str| -> Vec<Row> {
        CHILDREN
            .iter()
            .map(|c| Row {
                case: format!("argocd generate, {c}"),
                flinkwasm: Median {
                    secs: f64::NAN,
                    rss_kib: 0,
                },
                baseline_name: "",
                baseline: None,
                ratio: None,
                goal: goal.into(),
                met: false,
                skipped: Some(why.to_string()),
            })
            .collect()
    };
    if let Some(why) = helm_fixture_missing() {
        eprintln!("argocd generate rows skipped: {why}");
        return Ok((skipped(&why), format!("argocd generate: skipped ({why}).")));
    }
    let charts = helm::ChartRepo::serve(&[
        "flink-kubernetes-operator",
        "confluent-manager-for-apache-flink",
    ]);
    let fixture = helm::HelmFixture::new();

    // The repo-server's copy of the repository, its component pipelines pointed at the
    // repository started here, and the sidecar's PATH (flinkwasm only) and cache.
    let root = work.join("argocd");
    let repo = root.join("repo");
    let sidecar_bin = root.join("bin");
    fs::create_dir_all(&repo)?;
    fs::create_dir_all(&sidecar_bin)?;
    std::os::unix::fs::symlink(bin, sidecar_bin.join("flinkwasm"))?;
    let copied = Command::new("cp")
        .arg("-R")
        .arg(harness::repo("workloads"))
        .arg(&repo)
        .status()?;
    ensure!(copied.success(), "copying workloads/");
    for component in ["flink-kubernetes-operator", "cmf"] {
        let file = repo
            .join("workloads")
            .join(component)
            .join("flinkwasm.yaml");
        let pipeline = fs::read_to_string(&file)?;
        let confluent = "https://packages.confluent.io/helm";
        ensure!(
            pipeline.contains(confluent),
            "{component} no longer names Confluent's repository"
        );
        fs::write(&file, pipeline.replace(confluent, &charts.url))?;
    }
    let plugin: Value = serde_yaml::from_str(&fs::read_to_string(harness::repo(
        "charts/argocd-cmp/plugin.yaml",
    ))?)?;
    let command = |which: &str| -> Result<Vec<String>> {
        plugin["spec"][which]["command"]
            .as_array()
            .with_context(|| format!("plugin.yaml has no spec.{which}.command"))?
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .context("a non-string argument")
            })
            .collect()
    };
    let (init, generate) = (command("init")?, command("generate")?);
    let root_pipeline: Value =
        serde_yaml::from_str(&fs::read_to_string(repo.join("workloads/flinkwasm.yaml"))?)?;
    let api_versions = root_pipeline["spec"]["target"]["apiVersions"]
        .as_array()
        .context("the root pipeline names no API versions")?
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(",");
    let cluster = text(&root_pipeline, "/spec/defaultCluster")?.to_string();
    let run = |args: &[String], child: &Child| {
        let mut c = Command::new(&args[0]);
        c.args(&args[1..])
            .current_dir(repo.join(&child.path))
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", sidecar_bin.display()))
            .env("HOME", &root)
            .env("FLINKWASM_CACHE_DIR", root.join("cache"))
            .env("FLINKWASM_HELM", fixture.bin())
            .env("RUST_LOG", "error")
            .envs(child.env.iter().map(|(k, v)| (k, v)));
        c
    };
    let argocd_env = |name: &str, path: &str, destination: &str, source: &Value| {
        let mut env: Vec<(String, String)> = [
            ("ARGOCD_APP_NAME", name),
            ("ARGOCD_APP_NAMESPACE", destination),
            ("ARGOCD_APP_PROJECT_NAME", "default"),
            (
                "ARGOCD_APP_REVISION",
                "0123456789abcdef0123456789abcdef01234567",
            ),
            ("ARGOCD_APP_SOURCE_PATH", path),
            (
                "ARGOCD_APP_SOURCE_REPO_URL",
                "https://git.example.com/platform/gitops.git",
            ),
            ("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD"),
            ("KUBE_VERSION", "1.31.0"),
            ("KUBE_API_VERSIONS", api_versions.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let parameters = &source["plugin"]["parameters"];
        env.push((
            "ARGOCD_APP_PARAMETERS".into(),
            if parameters.is_null() {
                "[]".into()
            } else {
                parameters.to_string()
            },
        ));
        for e in source["plugin"]["env"].as_array().into_iter().flatten() {
            if let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
                env.push((format!("ARGOCD_ENV_{k}"), v.to_string()));
            }
        }
        env
    };

    // The root, as the bootstrap Application renders it, names the children.
    let root_app = Child {
        name: "confluent-platform-flink".into(),
        path: "workloads".into(),
        env: argocd_env(
            "confluent-platform-flink",
            "workloads",
            "confluent",
            &json!({"plugin": {"env": [{"name": "CLUSTER", "value": cluster}]}}),
        ),
    };
    let out = work.join("argocd-root.yaml");
    measure(&mut run(&generate, &root_app), None, &out)?;
    let mut children = Vec::new();
    for app in flinkwasm::stream::parse(&fs::read_to_string(&out)?, "the root's render")? {
        let app = Value::Object(app);
        if app["kind"] != "Application" || app["spec"]["source"]["plugin"]["name"] != "flinkwasm" {
            continue;
        }
        let name = text(&app, "/metadata/name")?;
        let path = text(&app, "/spec/source/path")?;
        let destination = text(&app, "/spec/destination/namespace")?;
        children.push(Child {
            name: name.to_string(),
            path: path.to_string(),
            env: argocd_env(name, path, destination, &app["spec"]["source"]),
        });
    }
    let names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
    ensure!(
        names == CHILDREN,
        "the root renders the children {names:?}, the benchmark expects {CHILDREN:?}"
    );

    // Warm: init (verifies and compiles the plugins), then one generate (pulls the chart once).
    for child in &children {
        measure(&mut run(&init, child), None, &out)
            .with_context(|| format!("init of {}", child.name))?;
        measure(&mut run(&generate, child), None, &out)
            .with_context(|| format!("the first generate of {}", child.name))?;
        ensure!(
            !flinkwasm::stream::parse(&fs::read_to_string(&out)?, &child.name)?.is_empty(),
            "{} rendered nothing",
            child.name
        );
    }
    let pulls = charts.requests.load(std::sync::atomic::Ordering::Relaxed);
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); children.len()];
    for _ in 0..runs {
        for (child, times) in children.iter().zip(&mut samples) {
            times.push(measure(&mut run(&generate, child), None, &out)?);
        }
    }
    let after = charts.requests.load(std::sync::atomic::Ordering::Relaxed);
    ensure!(
        after == pulls,
        "the warm generates asked the chart repository {} more times: the chart was not cached",
        after - pulls
    );
    let rows = children
        .iter()
        .zip(&samples)
        .map(|(child, times)| {
            let m = median(times);
            Row {
                case: format!("argocd generate, {}", child.name),
                flinkwasm: m,
                baseline_name: "",
                baseline: None,
                ratio: None,
                goal: goal.into(),
                met: m.secs < 2.0,
                skipped: None,
            }
        })
        .collect();
    let note = format!(
        "argocd generate: plugin.yaml's generate in each child's path ({cluster}), warm (init and \
         one generate first). Helm is the tests' fixture (tests/helm/helm-fixture, Helm 4 engine) \
         via FLINKWASM_HELM; the charts come from a chart repository on 127.0.0.1, which \
         answered {pulls} requests during warm-up and none during the timed runs. A pulled chart \
         is a record in flinkwasm's authenticated cache (FLINKWASM_CACHE_DIR), keyed by the \
         sha256 of repository URL + chart name + version + sha256 pin (none here), checked \
         against the pin when read back; a warm generate pulls nothing and runs only `helm \
         template`."
    );
    Ok((rows, note))
}

impl Median {
    /// The larger peak memory of two cases, with this case's time.
    fn max_rss(self, other: Median) -> Median {
        Median {
            secs: self.secs,
            rss_kib: self.rss_kib.max(other.rss_kib),
        }
    }
}

/// Writes `target/bench/stack.json` and appends to `history.jsonl`, after printing how the
/// previous result compares.
fn save(result: &Value) -> Result<()> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("bench");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let latest = dir.join("stack.json");
    if let Ok(previous) = fs::read_to_string(&latest)
        && let Ok(previous) = serde_json::from_str::<Value>(&previous)
    {
        println!(
            "\ncompared with the previous run (at {}):",
            previous["commit"]
        );
        let empty = Vec::new();
        let old_rows = previous["rows"].as_array().unwrap_or(&empty);
        for (new, old) in result["rows"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .zip(old_rows)
        {
            println!(
                "  {:<26} {:>8.3} s (was {:>8.3} s)   ratio {} (was {})",
                new["case"].as_str().unwrap_or(""),
                new["seconds"].as_f64().unwrap_or(f64::NAN),
                old["seconds"].as_f64().unwrap_or(f64::NAN),
                fmt_ratio(&new["ratio"]),
                fmt_ratio(&old["ratio"]),
            );
        }
    }
    let text = serde_json::to_string_pretty(result)?;
    fs::write(&latest, &text).with_context(|| format!("writing {}", latest.display()))?;
    let mut history = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("history.jsonl"))?;
    writeln!(history, "{}", serde_json::to_string(result)?)?;
    println!("\nresult: {}", latest.display());
    Ok(())
}

fn fmt_ratio(v: &Value) -> String {
    v.as_f64().map_or("-".into(), |r| format!("{r:.3}"))
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

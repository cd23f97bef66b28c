#!/usr/bin/env bash
# Prints the hostile-plugin and bad-input table for SECURITY.md and the issue notes: for each
# attack, what happened (the first line flinkwasm printed, or what the probe saw), the exit
# code, the wall time and the peak resident memory of the flinkwasm process.
# The peak RSS of every row must stay under the plugin's memory limit plus its output limit plus
# 64 MiB (SECURITY.md); the last column says whether it did.
#   cargo build --release --locked && cargo test --workspace --no-run && tests/security-table.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/flinkwasm
guests=$PWD/target/wasm-guests/wasm32-wasip2/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLINKWASM_CACHE_DIR=$work/cache
input=$'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  replicas: 1\n'

hostile=$work/hostile
mkdir -p "$hostile"
"$PWD/target/debug/hostile-components" "$hostile"

pipeline() { # NAME WASM CONFIG LIMITS
    local dir=$work/$1
    mkdir -p "$dir"
    cp "$2" "$dir/plugin.wasm"
    local digest
    digest=$(sha256sum "$dir/plugin.wasm" | cut -d' ' -f1)
    printf 'apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  target: {namespace: team-a}\n  plugins:\n  - name: probe\n    path: plugin.wasm\n    sha256: sha256:%s\n    config: %s\n    limits: %s\n' \
        "$digest" "$3" "$4" >"$dir/flinkwasm.yaml"
    echo "$dir"
}

# The bound a row's peak RSS must stay under: memory + output limits + 64 MiB, from the
# pipeline's limits (the defaults: 512 MiB and 256 MiB).
bound_mib() { # DIR
    local mem=512 out=256 limits
    limits=$(grep -o 'limits: {.*}' "$1/flinkwasm.yaml" 2>/dev/null || true)
    [[ $limits =~ memory:\ ([0-9]+)Mi ]] && mem=${BASH_REMATCH[1]}
    [[ $limits =~ output:\ ([0-9]+)Mi ]] && out=${BASH_REMATCH[1]}
    echo $((mem + out + 64))
}

row() { # ATTACK DIR [STDIN | @FILE] [COMMAND]
    local dir=$2 out err code
    out=$work/out err=$work/err
    set +e
    local stdin=${3:-$input}
    local cmd=${4:-post-render}
    if [[ $stdin == @* ]]; then
        (cd "$dir" && /usr/bin/time -f '%e %M' -o "$work/time" "$bin" $cmd <"${stdin#@}" >"$out" 2>"$err")
    else
        (cd "$dir" && /usr/bin/time -f '%e %M' -o "$work/time" "$bin" $cmd <<<"$stdin" >"$out" 2>"$err")
    fi
    code=$?
    set -e
    read -r secs kib < <(tail -n1 "$work/time")
    local what
    what=$(grep -m1 'ERROR' "$err" | sed 's/^.*ERROR //' | cut -c1-150 || true)
    if [ -z "$what" ]; then
        what=$(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["metadata"]["name"] == "probe-report":
        print("; ".join(f"{k}: {v}" for k, v in d["data"].items())[:150])' <"$out")
        [ -n "$what" ] || what=$(head -n1 "$err" | cut -c1-150)
        [ -n "$what" ] || what="ok, $(grep -c '^---' "$out" || true) objects"
    fi
    local bound within=yes
    bound=$(bound_mib "$dir")
    [ $((kib / 1024)) -lt "$bound" ] || within=NO
    printf '| %s | %s | %s | %s s | %s MiB | %s (< %s MiB) |\n' "$1" "${what//|/\\|}" "$code" "$secs" "$((kib / 1024))" "$within" "$bound"
}

probe=$guests/probe.wasm
echo '| attack or input | what happened | exit | time | peak RSS | within bound |'
echo '|---|---|---|---|---|---|'
row 'read /etc/passwd' "$(pipeline passwd "$probe" '{action: read-file, path: /etc/passwd}' '{}')"
row 'read ~/.kube/config' "$(pipeline kube "$probe" '{action: read-file, path: /root/.kube/config}' '{}')"
row 'write a file' "$(pipeline write "$probe" '{action: write-file, path: /tmp/flinkwasm-pwned}' '{}')"
row 'read env and args' "$(pipeline env "$probe" '{action: env}' '{}')"
row 'TCP, UDP and DNS' "$(pipeline net "$probe" '{action: net}' '{}')"
row 'spin forever (500ms limit)' "$(pipeline spin "$probe" '{action: spin}' '{timeout: 500ms}')"
row 'block in a host call (300ms)' "$(pipeline sleep "$probe" '{action: sleep}' '{timeout: 300ms}')"
row 'allocate without bound (64Mi)' "$(pipeline alloc "$probe" '{action: alloc, size: 1073741824}' '{memory: 64Mi}')"
row 'recurse until the stack breaks' "$(pipeline recurse "$probe" '{action: recurse}' '{}')"
row 'return 64 MiB of output (16Mi limit)' "$(pipeline output "$probe" '{action: output, size: 67108864}' '{output: 16Mi}')"
row 'flood the log' "$(pipeline log "$probe" '{action: log-flood}' '{}')"
row 'flood stdout' "$(pipeline stdout "$probe" '{action: stdout-flood}' '{}')"
row 'panic' "$(pipeline panic "$probe" '{action: panic}' '{}')"
row 'return invalid JSON' "$(pipeline badjson "$probe" '{action: bad-json}' '{}')"
row 'return a non-object' "$(pipeline nonobj "$probe" '{action: non-object}' '{}')"
row 'time and randomness' "$(pipeline nondet "$probe" '{action: nondeterminism}' '{}')"
row 'forge an object outside select' "$(pipeline forge "$probe" '{action: forge}' '{}' && printf '    select: {kinds: [ConfigMap]}\n' >>"$work/forge/flinkwasm.yaml")"
row 'import an unknown host function' "$(pipeline rogue "$guests/rogue_import.wasm" '{}' '{}')"
row '6 memories of 60 MiB declared (64Mi)' "$(pipeline mems "$hostile/memories-declared.wasm" '{}' '{memory: 64Mi}')"
row '6 memories grown by 448 MiB (512Mi)' "$(pipeline memgrow "$hostile/memories-grown.wasm" '{}' '{}')"
row '100 tables of 2^20 elements (64Mi)' "$(pipeline tables "$hostile/tables.wasm" '{}' '{memory: 64Mi}')"
row '13 memories of one page' "$(pipeline manymem "$hostile/too-many-memories.wasm" '{}' '{}')"
row 'compile bomb (compileTimeout 1s)' "$(pipeline bombt "$hostile/compile-bomb.wasm" '{}' '{compileTimeout: 1s}')"
row 'compile bomb (compileMemory 64Mi)' "$(pipeline bombm "$hostile/compile-bomb.wasm" '{}' '{compileMemory: 64Mi}')"
row 'compile bomb, 5.8 MB (default bounds 10s, 512Mi)' "$(pipeline bombd "$hostile/compile-bomb-large.wasm" '{}' '{}')"
row 'a 25 MiB config schema' "$(pipeline schema "$hostile/schema-bomb.wasm" '{}' '{}')"
row 'diagnostics of 64 MiB (output 1Mi)' "$(pipeline diag "$probe" '{action: diagnostic-flood, size: 67108864}' '{output: 1Mi}')"
row 'lines forged in logs and diagnostics' "$(pipeline forgelines "$probe" '{action: forge-lines}' '{}')"
row 'a manifest 129 levels deep' "$(pipeline deep "$probe" '{action: deep-129}' '{}')"
row 'a number 1e400' "$(pipeline huge "$probe" '{action: huge-number}' '{}')"
row 'an integer beyond 64 bits' "$(pipeline bigint "$probe" '{action: big-int}' '{}')"
row 'a `<<` key' "$(pipeline merge "$probe" '{action: merge-key}' '{}')"
row 'forge an object through its namespace' "$(pipeline forgens "$probe" '{action: forge, namespace: team-a}' '{}' && printf '    select: {kinds: [ConfigMap]}\n' >>"$work/forgens/flinkwasm.yaml")" $'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n'
row 'move a Helm file to ../../x.yaml' "$(pipeline helmfile "$probe" '{action: helm-file, label: given}' '{}')" $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {postrenderer.helm.sh/postrender-filename: t/c.yaml}\n'
krm_input=$'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {internal.config.kubernetes.io/path: c.yaml}}}\n'
row 'KRM: move an item to ../../escaped.yaml' "$(pipeline krmpath "$probe" '{action: krm-path}' '{}')" "$krm_input" krm
row 'KRM: delete every item' "$(pipeline krmdel "$probe" '{action: delete}' '{}')" "$krm_input" krm
row 'add a ClusterRoleBinding to cluster-admin' "$(pipeline crb "$probe" '{action: escalate}' '{}')"
row 'add a privileged DaemonSet in kube-system' "$(pipeline ds "$probe" '{action: privileged-daemonset}' '{}')"
row 'smuggle a ClusterRoleBinding in a SecretList' "$(pipeline smlist "$probe" '{action: smuggle-list}' '{}')"
row 'smuggle a ClusterRoleBinding in a ConfigMap'"'"'s items' "$(pipeline smitems "$probe" '{action: smuggle-items}' '{}')"
row '200 KB of JSON nested 100 deep: 20 MB of YAML (4Mi)' "$(pipeline deepwide "$probe" '{action: deep-wide, size: 100000}' '{output: 4Mi}')" '' render
row '250,000 tiny manifests: 16 MiB of JSON, 77 MiB counted (64Mi output)' "$(pipeline tiny "$probe" '{action: many-tiny, size: 250000}' '{output: 64Mi}')" '' render
row '300,000 tiny manifests: the stream bound, 1 KiB each (defaults)' "$(pipeline tiny2 "$probe" '{action: many-tiny, size: 300000}' '{}')" '' render
row '150,000 tiny manifests, accepted (defaults)' "$(pipeline tiny3 "$probe" '{action: many-tiny, size: 150000}' '{}')" '' render
row 'stdout flood, write errors ignored' "$(pipeline quiet "$probe" '{action: stdout-flood-quiet}' '{}')"
dir=$(pipeline symlink "$probe" '{action: context}' '{}')
mkdir -p "$dir/overlay" && ln -s /etc/passwd "$dir/overlay/passwd" && printf '    files: [overlay]\n' >>"$dir/flinkwasm.yaml"
row 'a granted directory holding a symlink to /etc/passwd' "$dir"
dir=$(pipeline fifo "$probe" '{action: context}' '{}')
mkfifo "$dir/pipe" && printf '    files: [pipe]\n' >>"$dir/flinkwasm.yaml"
row 'a granted FIFO' "$dir"
dir=$(pipeline pin "$probe" '{action: echo}' '{}')
sed -i 's/sha256:[0-9a-f]\{8\}/sha256:00000000/' "$dir/flinkwasm.yaml"
row 'wrong sha256 pin' "$dir"
dir=$(pipeline trunc "$probe" '{action: echo}' '{}')
head -c 1000 "$probe" >"$dir/plugin.wasm"
sed -i "s/sha256:[0-9a-f]\{64\}/sha256:$(sha256sum "$dir/plugin.wasm" | cut -d' ' -f1)/" "$dir/flinkwasm.yaml"
row 'truncated .wasm (pinned)' "$dir"
dir=$(pipeline echo "$probe" '{action: echo}' '{}')
row 'malformed YAML' "$dir" $'apiVersion: v1\nkind: [unclosed\n'
row 'alias bomb' "$dir" "$(printf 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'; for i in b c d e f g h i; do printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $i $i a a a a a a a a a | sed "s/\*a/*$(printf '%s' $i | tr 'b-i' 'a-h')/g"; done; printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')"
python3 -c 'import sys; d="---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"; sys.stdout.write(d * (104857600 // len(d) + 1))' >"$work/big.yaml"
row 'a 100 MB stream' "$dir" "@$work/big.yaml"
row 'the next render after all of these' "$dir"

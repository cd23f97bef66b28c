"""Installs a chart with the real Helm 4 engine (PyPI helm-python-sdk) as a client dry run
with a post-renderer plugin, exactly as `helm install --dry-run=client --post-renderer NAME
--post-renderer-args ...` does, and prints the release manifest. Plugins are found under
$HELM_PLUGINS. No cluster is needed (memory storage).

    python3 install_with_plugin.py CHART_DIR RELEASE NAMESPACE VALUES_JSON PLUGIN [ARGS...]
"""

import json
import sys

from helm_python import Chart, Config, _native


def main() -> int:
    chart_dir, release, namespace, values, plugin = sys.argv[1:6]
    args = sys.argv[6:]
    chart = Chart.load(chart_dir)
    with Config(namespace=namespace, storage_driver="memory") as cfg:
        options = {
            "namespace": namespace,
            "dry_run": "client",
            "post_renderer": plugin,
            "post_renderer_args": args,
        }
        try:
            # Config.install does not expose the post-renderer options; the native call does.
            payload = _native.call_string(
                "helm_install",
                cfg._raw(),
                _native.HANDLE(0),
                chart._raw(),
                None,
                release,
                values,
                json.dumps(options),
            )
        except Exception as e:  # the Helm error, printed for the test to assert on
            print(f"helm install failed: {e}", file=sys.stderr)
            return 1
    sys.stdout.write(json.loads(payload)["manifest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Renders a chart with the real Helm 4 engine (PyPI helm-python-sdk) and prints the stream
the way `helm template` does: one document per template, each after a `# Source:` line.

    python3 render_chart.py CHART_DIR RELEASE NAMESPACE [VALUES_JSON]
"""

import json
import sys

from helm_python import Chart


def main() -> None:
    chart_dir, release, namespace = sys.argv[1:4]
    values = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    chart = Chart.load(chart_dir)
    rendered = chart.render(values, name=release, namespace=namespace, is_install=True)
    out = []
    for path in sorted(rendered):
        text = rendered[path].strip()
        if not text or path.endswith("NOTES.txt"):
            continue
        out.append(f"---\n# Source: {path}\n{text}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()

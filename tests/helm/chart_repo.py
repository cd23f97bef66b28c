"""Makes a chart repository of test charts with the real Helm 4 engine (PyPI helm-python-sdk):
each chart packaged (`helm package`) into OUT_DIR, then `index.yaml` (`helm repo index`) with
BASE_URL, as a Helm repository serves them. Prints each archive's sha256 digest.

    python3 chart_repo.py OUT_DIR BASE_URL CHART_DIR...
"""

import sys

import helm_python


def main() -> None:
    out, base_url, charts = sys.argv[1], sys.argv[2], sys.argv[3:]
    for chart in charts:
        archive = helm_python.package(chart, destination=out)
        print(archive, helm_python.digest(archive))
    helm_python.repo_index_generate(out, base_url=base_url)


if __name__ == "__main__":
    main()

"""Pushes a test chart to an OCI registry with the real Helm 4 engine (PyPI helm-python-sdk),
as `helm package` then `helm push` do: Helm's media types (config
application/vnd.cncf.helm.config.v1+json, layer application/vnd.cncf.helm.chart.content.v1.tar+gzip),
the chart version as the tag. Plain HTTP (the tests' registries are on 127.0.0.1). Prints the
layer's digest (the packaged chart's sha256).

    python3 oci_chart.py WORK_DIR CHART_DIR oci://HOST:PORT/PATH [USER PASSWORD]
"""

import os
import sys

import helm_python


def main() -> None:
    work, chart, remote = sys.argv[1], sys.argv[2], sys.argv[3]
    archive = helm_python.package(chart, destination=work)
    client = helm_python.RegistryClient(
        plain_http=True, credentials_file=os.path.join(work, "push-credentials.json")
    )
    if len(sys.argv) == 6:
        host = remote.removeprefix("oci://").split("/", 1)[0]
        client.login(host, sys.argv[4], sys.argv[5], plain_http=True)
    client.push(archive, remote)
    print(helm_python.digest(archive))


if __name__ == "__main__":
    main()

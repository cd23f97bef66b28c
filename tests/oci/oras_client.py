#!/usr/bin/env python3
"""The tests' independent OCI client: PyPI `oras` (pinned in tests/setup.sh), as other tools
use it, against the test registry on 127.0.0.1 (plain HTTP). Credentials come from the Docker
config (DOCKER_CONFIG), as for flinkwasm.

  push REF FILE [CONFIG_MEDIA_TYPE [LAYER_MEDIA_TYPE]]   push FILE as a Wasm artifact; prints the manifest digest
  pull REF OUTDIR                                       pull REF's layers into OUTDIR; prints the manifest JSON
  sign REF DIGEST PAYLOAD SIGNATURE_B64                  push a cosign signature layer to sha256-<hex>.sig
  put-manifest REF MEDIA_TYPE FILE                       PUT FILE as a manifest; prints its digest
  blob REPO_REF DIGEST OUT                               download blob DIGEST of REPO_REF to OUT
"""
import hashlib
import json
import os
import sys
import tempfile

import oras.client
import oras.defaults


def client(ref=None):
    """An oras client with basic auth, as the test registry demands (the token backend expects
    a Bearer realm). oras-py reads only ~/.docker/config.json by itself; the Docker CLI's
    DOCKER_CONFIG directory, which flinkwasm reads, is passed to it explicitly."""
    c = oras.client.OrasClient(insecure=True, auth_backend="basic")
    docker_config = os.environ.get("DOCKER_CONFIG")
    if ref is not None and docker_config:
        c.auth.load_configs(c.get_container(ref), [os.path.join(docker_config, "config.json")])
    return c


def push(ref, path, config_type="application/vnd.wasm.config.v0+json",
         layer_type="application/wasm"):
    c = client(ref)
    workdir = os.path.dirname(os.path.abspath(path))
    os.chdir(workdir)
    with open("config.json", "w") as f:
        json.dump({"architecture": "wasm", "os": "wasip2"}, f)
    resp = c.push(
        target=ref,
        files=[f"{os.path.basename(path)}:{layer_type}"],
        manifest_config=f"config.json:{config_type}",
        quiet=True,
    )
    print(resp.headers["Docker-Content-Digest"])


def pull(ref, outdir):
    c = client(ref)
    files = c.pull(target=ref, outdir=outdir)
    manifest = c.get_manifest(ref)
    print(json.dumps({"files": files, "manifest": manifest}))


def sign(ref, digest, payload_path, signature):
    """A cosign signature made elsewhere (openssl), pushed the way cosign lays it out."""
    repo = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0]
    tag = digest.replace("sha256:", "sha256-") + ".sig"
    c = client(ref)
    workdir = os.path.dirname(os.path.abspath(payload_path))
    os.chdir(workdir)
    name = os.path.basename(payload_path)
    with open("annotations.json", "w") as f:
        json.dump({name: {"dev.cosignproject.cosign/signature": signature}}, f)
    resp = c.push(
        target=f"{repo}:{tag}",
        files=[f"{name}:application/vnd.dev.cosign.simplesigning.v1+json"],
        annotation_file="annotations.json",
        quiet=True,
    )
    print(resp.headers["Docker-Content-Digest"])


def put_manifest(ref, media_type, path):
    c = client(ref)
    container = c.get_container(ref)
    with open(path, "rb") as f:
        body = f.read()
    url = f"{c.prefix}://{container.manifest_url()}"
    resp = c.do_request(url, "PUT", data=body, headers={"Content-Type": media_type})
    if resp.status_code not in (200, 201):
        sys.exit(f"PUT {url}: {resp.status_code} {resp.text}")
    print("sha256:" + hashlib.sha256(body).hexdigest())


def blob(ref, digest, out):
    c = client(ref)
    container = c.get_container(ref)
    c.download_blob(container, digest, out)


def main(argv):
    cmd, args = argv[1], argv[2:]
    {"push": push, "pull": pull, "sign": sign, "put-manifest": put_manifest, "blob": blob}[cmd](*args)


if __name__ == "__main__":
    main(sys.argv)

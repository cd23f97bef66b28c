"""probe-python: the hostile probe's main cases written in Python, so the tests can show the
sandbox holds for a component whatever its language. Test-only; never shipped.

`config.action` picks the behaviour; the report actions put what the guest saw into a ConfigMap
named `probe-report`, as the Rust probe (tests/plugins/probe) does.
"""

import os
import socket
import sys

import flinkwasm as fw

ACTIONS = ["echo", "alloc", "spin", "output", "read-file", "write-file", "env", "net",
           "nondeterminism", "raise", "error", "log-flood", "stdout-flood", "recurse"]


def denied(e):
    return f"denied: {type(e).__name__}: {e}"


def attempt(what):
    try:
        return what()
    except Exception as e:  # every failure is what the sandbox gave: report it
        return denied(e)


def read_file(path):
    with open(path) as f:
        return f"READ {len(f.read())} bytes"


def write_file(path):
    with open(path, "w") as f:
        f.write("pwned")
    return "WROTE"


def tcp():
    # A numeric address and a raw socket: no name lookup (and no idna codec) on the way.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", 22))
    return "CONNECTED"


def dns():
    return f"RESOLVED {socket.getaddrinfo(b'localhost', 80)[0]}"


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return "BOUND"


def nondeterminism():
    import random
    import time
    return {"wallClock": str(time.time_ns()), "monotonic": str(time.monotonic_ns()),
            "random": str(random.random()), "urandom": os.urandom(8).hex(),
            "hash": str(hash("flinkwasm"))}


def recurse(n):
    return 1 + recurse(n + 1)


class Probe:
    def info(self):
        return fw.Info("probe-python", "0.1.0", "Test-only plugin that misbehaves on request", fw.BOTH,
                       schema={"type": "object", "additionalProperties": False, "required": ["action"],
                               "properties": {"action": {"enum": ACTIONS}, "path": {"type": "string"},
                                              "size": {"type": "integer", "minimum": 0}}})

    def run(self, ctx, manifests):
        action = ctx.config["action"]
        data = {}
        if action == "alloc":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        elif action == "spin":
            x = 0
            while True:
                x += 1
        elif action == "output":
            size, chunk, i = ctx.config.get("size", 1 << 20), "x" * (1 << 16), 0
            while i * len(chunk) < size:
                m = fw.Manifest.build("v1", "ConfigMap", f"big-{i}")
                m.set(["data", "blob"], chunk)
                manifests.append(m)
                i += 1
        elif action == "read-file":
            data["read"] = attempt(lambda: read_file(ctx.config.get("path", "/etc/passwd")))
            data["list"] = attempt(lambda: f"LISTED {len(os.listdir('/'))}")
        elif action == "write-file":
            data["write"] = attempt(lambda: write_file(ctx.config.get("path", "/tmp/probe-was-here")))
        elif action == "env":
            data["vars"] = str(len(os.environ))
            data["args"] = str(len(sys.argv))
            data["home"] = os.environ.get("HOME", "denied: no HOME")
        elif action == "net":
            data["tcp"], data["dns"], data["udp"] = attempt(tcp), attempt(dns), attempt(udp)
        elif action == "nondeterminism":
            data.update(nondeterminism())
        elif action == "raise":
            raise RuntimeError("probe raised on purpose")
        elif action == "error":
            target = manifests[0] if manifests else None
            raise fw.Error("probe refuses this object", on=target, at="spec.replicas")
        elif action == "log-flood":
            for _ in range(16 * 1024):
                fw.info("y" * 1024)
        elif action == "stdout-flood":
            for _ in range(16 * 1024):
                print("z" * 1024)
        elif action == "recurse":
            sys.setrecursionlimit(1 << 30)
            data["depth"] = str(recurse(0))
        if data:
            report = fw.Manifest.build("v1", "ConfigMap", "probe-report")
            report.set(["data"], data)
            manifests.append(report)
        return manifests


WitWorld = fw.export(Probe())

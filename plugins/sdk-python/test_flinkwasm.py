"""Tests of the Python SDK, run natively (CPython) against the bindings componentize-py
generates from wit/plugin.wit: `componentize-py -d wit/plugin.wit -w plugin bindings DIR`, then
`PYTHONPATH=DIR:plugins/sdk-python python3 -m unittest test_flinkwasm`. The e2e test
`polyglot::the_python_and_javascript_sdks_pass_their_own_tests` does both.
"""

import json
import unittest

import flinkwasm as fw
from wit_world.imports import host, types


def context(config="", files=()):
    return types.Context(
        cluster="homelab", namespace="confluent", release="r", generate=True, caller="render",
        capabilities=types.Capabilities(kube_version="1.31.0", api_versions=["v1", "apps/v1"]),
        config=config, files=[types.GrantedFile(path=p, content=c) for p, c in files])


DEPLOYMENT = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": "web", "namespace": "team-a", "labels": {"app": "web"}},
                         "spec": {"replicas": 1}})
CONFIGMAP = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})


class Recorder:
    """A plugin whose run is the test's function."""

    def __init__(self, run, info=None):
        self._run = run
        self._info = info or fw.Info("t", "0.1.0", "test", fw.TRANSFORMER)

    def info(self):
        return self._info

    def run(self, ctx, manifests):
        return self._run(ctx, manifests)


def call(run, manifests=(DEPLOYMENT, CONFIGMAP), **ctx):
    return fw.export(Recorder(run))().run(context(**ctx), list(manifests))


class ManifestTest(unittest.TestCase):
    def test_an_untouched_object_goes_back_as_the_same_text(self):
        out = call(lambda ctx, ms: ms)
        self.assertEqual(out.manifests, [DEPLOYMENT, CONFIGMAP])
        self.assertEqual(out.diagnostics, [])

    def test_identity_paths_labels_and_annotations(self):
        m = fw.Manifest(text=DEPLOYMENT)
        self.assertEqual((m.api_version, m.group, m.kind, m.name, m.namespace),
                         ("apps/v1", "apps", "Deployment", "web", "team-a"))
        self.assertTrue(m.is_a("apps", "Deployment"))
        self.assertFalse(m.is_a("", "Deployment"))
        self.assertEqual(m.get("spec", "replicas"), 1)
        self.assertIsNone(m.get("spec", "missing", "deeper"))
        self.assertEqual(m.get("spec", "missing", default=7), 7)
        m.set(["spec", "template", "metadata", "labels", "app"], "web")
        m.set_label("team", "a")
        m.set_annotation("note", "x")
        self.assertEqual((m.label("team"), m.annotation("note")), ("a", "x"))
        self.assertEqual(m.remove(["spec", "replicas"]), 1)
        self.assertIsNone(m.remove(["spec", "replicas"]))
        back = json.loads(m.to_json())
        self.assertEqual(back["spec"], {"template": {"metadata": {"labels": {"app": "web"}}}})
        core = fw.Manifest.build("v1", "ConfigMap", "x")
        self.assertEqual((core.group, core.namespace), ("", None))
        self.assertEqual(json.loads(core.to_json()), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})

    def test_a_value_that_is_not_an_object_is_replaced_on_the_way_to_a_set(self):
        m = fw.Manifest({"spec": "text"})
        m.set(["spec", "x"], 1)
        self.assertEqual(m.object, {"spec": {"x": 1}})

    def test_selectors_match_every_given_criterion(self):
        ms = [fw.Manifest(text=DEPLOYMENT), fw.Manifest(text=CONFIGMAP)]
        self.assertEqual([m.name for m in fw.Selector(group="apps").select(ms)], ["web"])
        self.assertEqual([m.name for m in fw.Selector(group="").select(ms)], ["cm"])
        self.assertEqual([m.name for m in fw.Selector(kind="Deployment", labels={"app": "web"}).select(ms)], ["web"])
        self.assertEqual(fw.Selector(kind="Deployment", labels={"app": "db"}).select(ms), [])
        self.assertEqual(len(fw.Selector().select(ms)), 2)


class ContextTest(unittest.TestCase):
    def test_config_files_and_capabilities(self):
        seen = {}

        def run(ctx, ms):
            seen.update(config=ctx.config, file=ctx.file("a.sql"), missing=ctx.file("b"),
                        api=ctx.has_api("apps/v1"), no_api=ctx.has_api("batch/v1"),
                        cluster=ctx.cluster, generate=ctx.generate, kube=ctx.kube_version)
            return ms

        call(run, config='{"team": "a"}', files=[("a.sql", "SELECT 1")])
        self.assertEqual(seen, {"config": {"team": "a"}, "file": "SELECT 1", "missing": None, "api": True,
                                "no_api": False, "cluster": "homelab", "generate": True, "kube": "1.31.0"})

    def test_an_empty_config_is_an_empty_object_and_a_list_is_refused(self):
        self.assertEqual(call(lambda ctx, ms: [] if ctx.config == {} else None).manifests, [])
        out = call(lambda ctx, ms: ms, config="[1]")
        self.assertEqual(out.manifests, [])
        self.assertEqual(out.diagnostics[0].message, "the plugin configuration is not a JSON object")


class DiagnosticTest(unittest.TestCase):
    def test_an_error_names_the_object_and_the_field(self):
        def run(ctx, ms):
            raise fw.Error("no", on=ms[0], at="spec.replicas")

        out = call(run)
        self.assertEqual(out.manifests, [])
        d = out.diagnostics[0]
        self.assertEqual((d.severity, d.message, d.field), (types.Severity.ERROR, "no", "spec.replicas"))
        self.assertEqual((d.object.api_version, d.object.kind, d.object.name, d.object.namespace),
                         ("apps/v1", "Deployment", "web", "team-a"))

    def test_warnings_go_with_the_stream(self):
        def run(ctx, ms):
            return fw.Output(ms, [fw.Diagnostic.warning("look", on=ms[1]), fw.Diagnostic.info("fyi")])

        out = call(run)
        self.assertEqual(len(out.manifests), 2)
        self.assertEqual([d.severity for d in out.diagnostics], [types.Severity.WARNING, types.Severity.INFO])
        self.assertEqual(out.diagnostics[0].object.kind, "ConfigMap")
        self.assertIsNone(out.diagnostics[1].object)

    def test_any_other_exception_is_a_bug_and_propagates(self):
        def run(ctx, ms):
            raise KeyError("team")

        with self.assertRaises(KeyError):
            call(run)

    def test_logs_go_to_the_host(self):
        logged = []
        original = host.log
        host.log = lambda level, message: logged.append((level, message))
        try:
            fw.debug("d"), fw.info("i"), fw.warn("w")
        finally:
            host.log = original
        self.assertEqual(logged, [(host.Level.DEBUG, "d"), (host.Level.INFO, "i"), (host.Level.WARN, "w")])


class MisuseTest(unittest.TestCase):
    def test_label_and_annotation_values_are_strings(self):
        m = fw.Manifest(text=DEPLOYMENT)
        with self.assertRaisesRegex(TypeError, "label replicas: the value is a string"):
            m.set_label("replicas", 3)
        with self.assertRaisesRegex(TypeError, "annotation note"):
            m.set_annotation("note", None)

    def test_a_diagnostic_on_something_else_is_refused_at_once(self):
        with self.assertRaisesRegex(TypeError, "on a Manifest or a ResourceRef, not int"):
            fw.Error("x", on=5)
        with self.assertRaisesRegex(TypeError, "dotted path"):
            fw.Diagnostic.warning("x", at=["spec"])

    def test_sys_exit_is_a_bug_named_as_such(self):
        import sys

        with self.assertRaisesRegex(RuntimeError, r"called sys.exit\(3\)"):
            call(lambda ctx, ms: sys.exit(3))


class DescribeTest(unittest.TestCase):
    def test_describe_carries_schema_role_and_selection(self):
        info = fw.Info("t", "1.2.3", "d", fw.BOTH, schema={"type": "object", "b": 1, "a": 2},
                       select=(["apps"], ["Deployment"]))
        d = fw.export(Recorder(None, info))().describe()
        self.assertEqual((d.name, d.version, d.description, d.role), ("t", "1.2.3", "d", types.Role.BOTH))
        self.assertEqual(d.config_schema, '{"a": 2, "b": 1, "type": "object"}')
        self.assertEqual((d.select.groups, d.select.kinds), (["apps"], ["Deployment"]))
        plain = fw.export(Recorder(None))().describe()
        self.assertEqual((plain.config_schema, plain.select), ("", None))

    def test_an_unknown_role_is_refused(self):
        with self.assertRaises(ValueError):
            fw.Info("t", "1", "d", "mutator")


if __name__ == "__main__":
    unittest.main()

"""flinkwasm: the Python SDK for flinkwasm plugins.

A plugin is a class with ``info()`` and ``run(ctx, manifests)``; ``export`` turns it into the
``WitWorld`` class componentize-py looks for in the app module::

    import flinkwasm as fw

    class TeamLabels:
        def info(self):
            return fw.Info("team-labels", "0.1.0", "Adds a team label", fw.TRANSFORMER,
                           schema={"type": "object", "required": ["team"],
                                   "properties": {"team": {"type": "string"}}})

        def run(self, ctx, manifests):
            for m in manifests:
                m.set_label("example.com/team", ctx.config["team"])
            return manifests

    WitWorld = fw.export(TeamLabels())

Build: ``componentize-py -d wit/plugin.wit -w plugin componentize app -o plugin.wasm``.

This is the Python face of the same contract the Rust SDK (``plugins/sdk``) hides:
``wit/plugin.wit``, ``flinkwasm:plugin@0.3.0``. It is the only module of a plugin that touches
the generated bindings (``wit_world``). The plugin runs in the host's sandbox whatever its
language: no files, network, environment or clock; only the manifests, its config and the files
the pipeline grants it.

Raising ``fw.Error`` stops the plugin with one error diagnostic (the render fails naming the
plugin, object and field). Any other exception is a bug: the component traps and the host
reports it with the exception's last line, as it does for a Rust panic.
"""

import json

from wit_world.imports import host as _host
from wit_world.imports import types as _wit

GENERATOR = "generator"
"""Role: adds objects of its own."""
TRANSFORMER = "transformer"
"""Role: changes what it is given."""
BOTH = "both"
"""Role: both adds and changes."""

_ROLES = {GENERATOR: _wit.Role.GENERATOR, TRANSFORMER: _wit.Role.TRANSFORMER, BOTH: _wit.Role.BOTH}


class Info:
    """What the plugin is: name, version, description, role, config schema, selection."""

    def __init__(self, name, version, description, role, schema=None, select=None):
        if role not in _ROLES:
            raise ValueError(f"role must be one of {sorted(_ROLES)}, not {role!r}")
        self.name = name
        self.version = version
        self.description = description
        self.role = role
        # A JSON Schema (dict) for the config; None accepts only an empty config.
        self.schema = schema
        # (groups, kinds): only these objects are passed to `run`; None passes every object.
        self.select = select


class ResourceRef:
    """Which object a diagnostic is about."""

    def __init__(self, api_version, kind, name, namespace=None):
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespace = namespace


class Diagnostic:
    """A finding for the user; `error` fails the render after this plugin."""

    def __init__(self, severity, message, on=None, at=None):
        if on is not None and not isinstance(on, (Manifest, ResourceRef)):
            raise TypeError(f"a diagnostic is on a Manifest or a ResourceRef, not {type(on).__name__}")
        if at is not None and not isinstance(at, str):
            raise TypeError(f"a diagnostic's field is a dotted path (str), not {type(at).__name__}")
        self.severity = severity
        self.message = str(message)
        # The object (a Manifest or ResourceRef) and the dotted field it is about.
        self.on = on.reference() if isinstance(on, Manifest) else on
        self.at = at

    @staticmethod
    def error(message, on=None, at=None):
        return Diagnostic(_wit.Severity.ERROR, message, on, at)

    @staticmethod
    def warning(message, on=None, at=None):
        return Diagnostic(_wit.Severity.WARNING, message, on, at)

    @staticmethod
    def info(message, on=None, at=None):
        return Diagnostic(_wit.Severity.INFO, message, on, at)

    def _to_wit(self):
        ref = None
        if self.on is not None:
            ref = _wit.ResourceRef(self.on.api_version, self.on.kind, self.on.name, self.on.namespace)
        return _wit.Diagnostic(self.severity, self.message, ref, self.at)


class Error(Exception):
    """Stops the plugin; reaches the host as one error diagnostic on `on` at field `at`."""

    def __init__(self, message, on=None, at=None):
        super().__init__(message)
        self.diagnostic = Diagnostic.error(message, on, at)


class Manifest:
    """One Kubernetes object. It stays the JSON text the host gave until it is read, and an
    object the plugin did not touch goes back as that same text."""

    def __init__(self, obj=None, text=None):
        self._obj = obj
        self._text = text

    @staticmethod
    def build(api_version, kind, name, namespace=None):
        """A new object with apiVersion, kind, metadata.name and (if given) metadata.namespace."""
        metadata = {"name": name}
        if namespace is not None:
            metadata["namespace"] = namespace
        return Manifest({"apiVersion": api_version, "kind": kind, "metadata": metadata})

    @property
    def object(self):
        """The object as a dict (parsed now if it was kept as text); changes stick."""
        if self._obj is None:
            obj = json.loads(self._text)
            if not isinstance(obj, dict):
                raise Error("a manifest is not a JSON object")
            self._obj = obj
            self._text = None
        return self._obj

    def to_json(self):
        """The object as JSON text, as the host expects it back."""
        if self._text is not None:
            return self._text
        return json.dumps(self._obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def get(self, *path, default=None):
        """The value at `path` (keys), or `default`."""
        node = self.object
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def set(self, path, value):
        """Sets the value at `path` (a list of keys), creating objects on the way."""
        node = self.object
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[path[-1]] = value

    def remove(self, path):
        """Removes and returns the value at `path`, or None."""
        parent = self.get(*path[:-1]) if len(path) > 1 else self.object
        if isinstance(parent, dict):
            return parent.pop(path[-1], None)
        return None

    @property
    def api_version(self):
        return self.get("apiVersion", default="")

    @property
    def group(self):
        """The API group ("" for core)."""
        api = self.api_version
        return api.rsplit("/", 1)[0] if "/" in api else ""

    @property
    def kind(self):
        return self.get("kind", default="")

    @property
    def name(self):
        return self.get("metadata", "name", default="")

    @property
    def namespace(self):
        return self.get("metadata", "namespace")

    def is_a(self, group, kind):
        """True for objects of this group ("" for core) and kind."""
        return self.group == group and self.kind == kind

    def label(self, key):
        return self.get("metadata", "labels", key)

    def set_label(self, key, value):
        self.set(["metadata", "labels", key], _text("label", key, value))

    def annotation(self, key):
        return self.get("metadata", "annotations", key)

    def set_annotation(self, key, value):
        self.set(["metadata", "annotations", key], _text("annotation", key, value))

    def reference(self):
        return ResourceRef(self.api_version, self.kind, self.name, self.namespace)


def _text(what, key, value):
    """Label and annotation values are strings in Kubernetes: anything else is a bug."""
    if not isinstance(value, str):
        raise TypeError(f"{what} {key}: the value is a string in Kubernetes, not {type(value).__name__}")
    return value


class Selector:
    """Picks manifests by group, kind, name and labels (every given criterion must match)."""

    def __init__(self, group=None, kind=None, name=None, labels=None):
        self.group = group
        self.kind = kind
        self.name = name
        self.labels = labels or {}

    def matches(self, m):
        return (
            (self.group is None or m.group == self.group)
            and (self.kind is None or m.kind == self.kind)
            and (self.name is None or m.name == self.name)
            and all(m.label(k) == v for k, v in self.labels.items())
        )

    def select(self, manifests):
        return [m for m in manifests if self.matches(m)]


class Context:
    """Everything the plugin knows about the run."""

    def __init__(self, ctx):
        self.cluster = ctx.cluster
        self.namespace = ctx.namespace
        self.release = ctx.release
        # Add objects of your own (render, Argo CD) or only change what you are given
        # (Helm post-render, KRM).
        self.generate = ctx.generate
        # The caller's name, for logs only: decide from `generate`.
        self.caller = ctx.caller
        self.kube_version = ctx.capabilities.kube_version
        self.api_versions = list(ctx.capabilities.api_versions)
        if ctx.config.strip():
            config = json.loads(ctx.config)
            if not isinstance(config, dict):
                raise Error("the plugin configuration is not a JSON object")
        else:
            config = {}
        # The config, already checked by the host against the plugin's schema.
        self.config = config
        # Files the pipeline grants: (path, content), sorted by path.
        self.files = [(f.path, f.content) for f in ctx.files]

    def has_api(self, api_version):
        return api_version in self.api_versions

    def file(self, path):
        for p, content in self.files:
            if p == path:
                return content
        return None


class Output:
    """What `run` returns: the new stream and diagnostics (a plain list of Manifests is fine)."""

    def __init__(self, manifests, diagnostics=None):
        self.manifests = manifests
        self.diagnostics = list(diagnostics or [])

    def push(self, diagnostic):
        self.diagnostics.append(diagnostic)


def debug(message):
    _host.log(_host.Level.DEBUG, message)


def info(message):
    _host.log(_host.Level.INFO, message)


def warn(message):
    _host.log(_host.Level.WARN, message)


def export(plugin):
    """The `WitWorld` class componentize-py exports, calling `plugin`."""

    class _World:
        def describe(self):
            i = plugin.info()
            return _wit.PluginInfo(
                name=i.name,
                version=i.version,
                description=i.description,
                config_schema="" if i.schema is None else json.dumps(i.schema, sort_keys=True),
                role=_ROLES[i.role],
                select=None if i.select is None else _wit.Selection(list(i.select[0]), list(i.select[1])),
            )

        def run(self, ctx, manifests):
            try:
                out = plugin.run(Context(ctx), [Manifest(text=t) for t in manifests])
            except Error as e:
                return _wit.RunOutput(manifests=[], diagnostics=[e.diagnostic._to_wit()])
            except SystemExit as e:
                raise RuntimeError(f"the plugin called sys.exit({e.code!r}): return the stream, "
                                   "or raise fw.Error to refuse it") from None
            if not isinstance(out, Output):
                out = Output(out)
            return _wit.RunOutput(
                manifests=[m.to_json() for m in out.manifests],
                diagnostics=[d._to_wit() for d in out.diagnostics],
            )

    return _World

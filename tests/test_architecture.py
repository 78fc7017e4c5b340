"""The shape of the code: each app builds only on the apps below it."""

import ast
import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layers() -> list[str]:
    """The apps from the top layer down, as the import-linter contract in .importlinter lists
    them (an optional layer, in brackets, counts where it exists)."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    listed = config["importlinter:contract:layers"]["layers"].split()
    return [name.strip("()") for name in listed]


def python_files(app: str):
    return sorted((ROOT / app).rglob("*.py")) if (ROOT / app).is_dir() else []


def models_named(tree: ast.AST):
    """(line, app label) of each `get_model("app", ...)` / `get_model("app.Model")` call."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "get_model" or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        if len(node.args) > 1 or "." in first.value:  # not AppConfig.get_model("Model")
            yield node.lineno, first.value.split(".")[0]


def upward_get_model_calls() -> list[str]:
    order = layers()
    found = []
    for height, app in enumerate(order):
        above = set(order[:height])
        for path in python_files(app):
            for line, label in models_named(ast.parse(path.read_text(), str(path))):
                if label in above:
                    found.append(f"{path.relative_to(ROOT)}:{line} reads {label}")
    return found


def test_no_app_reaches_a_higher_one_through_get_model():
    assert upward_get_model_calls() == []


def test_the_get_model_check_sees_a_call_on_a_higher_app(tmp_path):
    tree = ast.parse('apps.get_model("findings", "BriefingVersion")\nx.get_model("actions.Action")')
    assert [label for _, label in models_named(tree)] == ["findings", "actions"]
    assert list(models_named(ast.parse('self.get_model("Evidence")'))) == []


# A relation's model read at run time: `Model._meta.get_field("name").related_model`. A name made
# at run time (`f"{kind}s"`, a variable) counts every relation it may name when the call's
# relation is read.
RELATION_READS = ("related_model", "remote_field")


def _name_pattern(node: ast.expr) -> str:
    """A regular expression for the field names `node` may make."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _name_pattern(part) if isinstance(part, ast.Constant) else ".*" for part in node.values
        )
    if isinstance(node, ast.IfExp):
        return f"(?:{_name_pattern(node.body)}|{_name_pattern(node.orelse)})"
    return ".*"


def relations_reached(tree: ast.AST, namespace: dict):
    """(line, app label) of each model reached through `Model._meta.get_field(...)`, `Model` being
    a model among the module's names (`namespace`)."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        meta = node.func.value
        if (
            node.func.attr != "get_field"
            or not node.args
            or not (
                isinstance(meta, ast.Attribute)
                and meta.attr == "_meta"
                and isinstance(meta.value, ast.Name)
            )
        ):
            continue
        model = namespace.get(meta.value.id)
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            continue
        name = node.args[0]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            try:
                fields = [model._meta.get_field(name.value)]
            except FieldDoesNotExist:
                continue
        else:
            parent = parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.attr in RELATION_READS):
                continue
            pattern = _name_pattern(name)
            fields = [f for f in model._meta.get_fields() if re.fullmatch(pattern, f.name)]
        for field in fields:
            if field.is_relation and field.related_model is not None:
                yield node.lineno, field.related_model._meta.app_label


def upward_field_reads() -> list[str]:
    import importlib

    order = layers()
    found = []
    for height, app in enumerate(order):
        above = set(order[:height])
        for path in python_files(app):
            source = path.read_text()
            if "_meta.get_field(" not in source:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__"
            )
            namespace = vars(importlib.import_module(module))
            for line, label in relations_reached(ast.parse(source, str(path)), namespace):
                if label in above:
                    found.append(f"{path.relative_to(ROOT)}:{line} reaches {label}")
    return sorted(set(found))


def test_no_app_reaches_a_higher_one_through_its_relations():
    assert upward_field_reads() == []


def test_the_relations_check_sees_a_model_of_a_higher_app():
    from cases.models import Audit, Case
    from maca.models import Partnership

    source = (
        'Case._meta.get_field(f"{kind}s").related_model\n'
        'Audit._meta.get_field("good_practice" if good else "recommendations").related_model\n'
        'Audit._meta.get_field("actions")\n'
        'Partnership._meta.get_field("audits").related_model\n'
        "Partnership._meta.get_field(name).default\n"
        'Audit._meta.get_field("title").max_length\n'
        'Audit._meta.get_field("theme").related_model\n'
    )
    namespace = {"Case": Case, "Audit": Audit, "Partnership": Partnership}
    reached = set(relations_reached(ast.parse(source), namespace))
    assert {(1, "findings"), (2, "findings"), (3, "actions"), (4, "cases"), (7, "cases")} <= reached
    assert {line for line, _ in reached} == {1, 2, 3, 4, 7}


def test_the_layers_run_from_actions_down_to_the_core():
    assert [app for app in layers() if (ROOT / app).is_dir()][-4:] == [
        "actions",
        "findings",
        "cases",
        "maca",
    ]


MAX_VIEW_LINES = 40


def _callbacks(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _callbacks(pattern.url_patterns)
        else:
            yield pattern.callback


def views_modules() -> list[Path]:
    """Every `views` module of the apps, and any other module a URL of theirs routes to."""
    from django.urls import get_resolver

    apps = [app for app in layers() if (ROOT / app).is_dir()]
    files = {
        path
        for app in apps
        for path in python_files(app)
        if path.name == "views.py" or path.parent.name == "views"
    }
    for callback in _callbacks(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "") or ""
        if module.split(".")[0] in apps:
            files.add(ROOT / (module.replace(".", "/") + ".py"))
    return sorted(files)


def long_functions(path: Path, limit: int = MAX_VIEW_LINES) -> list[str]:
    """The functions of `path` longer than `limit` lines, their decorators included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            length = node.end_lineno - first + 1
            if length > limit:
                found.append(f"{path.name}:{first} {node.name} ({length} lines)")
    return found


def test_views_stay_thin():
    modules = views_modules()
    assert ROOT / "maca" / "mfa.py" in modules and ROOT / "cases" / "views" / "tool.py" in modules
    assert [found for path in modules for found in long_functions(path)] == []


def test_the_thin_views_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x = {number}" for number in range(40))
    view = tmp_path / "views.py"
    view.write_text(f"@decorated\ndef long_view(request):\n{body}\n")
    assert len(long_functions(view.resolve(), limit=41)) == 1
    assert long_functions(view.resolve(), limit=42) == []


# No lost updates: every view that saves a versioned form checks and saves under one lock --------


def versioned_form_names() -> set[str]:
    """The names of the versioned forms (VersionedFormMixin), and of functions that make one."""
    import inspect
    import sys

    from maca.concurrency import VersionedFormMixin

    views_modules()  # the URLs, and through them every form, are imported
    names, classes = set(), [VersionedFormMixin]
    while classes:
        found = classes.pop().__subclasses__()
        names.update(cls.__name__ for cls in found)
        classes += found
    apps = tuple(f"{app}." for app in layers())
    for module in [m for name, m in sys.modules.items() if name.startswith(apps)]:
        for name, value in vars(module).items():
            made_here = inspect.isfunction(value) and value.__module__ == module.__name__
            makes_one = made_here and re.search(
                r"class \w+\([^)]*\bVersionedFormMixin\b", inspect.getsource(value)
            )
            if makes_one:
                names.add(name)
    return names - {"VersionedFormMixin"}


def saves_a_versioned_form(functions: dict, name: str, versioned: set[str]) -> bool:
    """Whether the function `name` of a module (its functions by name), or a function of the
    same module that it calls and that reads the request's data, binds a versioned form to the
    request's data: reads `request.POST` and names a versioned form or its maker."""
    seen, todo, names, reads_post = set(), [name], set(), False
    while todo:
        node = functions[todo.pop()]
        seen.add(node.name)
        reads_post |= "request.POST" in ast.unparse(node)
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name | ast.Attribute):
                names.add(inner.id if isinstance(inner, ast.Name) else inner.attr)
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name):
                called = functions.get(inner.func.id)
                if called and called.name not in seen and "request.POST" in ast.unparse(called):
                    todo.append(called.name)
    return reads_post and bool(names & versioned)


def unguarded_versioned_saves() -> list[str]:
    import inspect

    from django.urls import get_resolver

    versioned = versioned_form_names()
    trees = {}
    found = []
    for callback in _callbacks(get_resolver().url_patterns):
        view = inspect.unwrap(callback)
        path = Path(inspect.getsourcefile(view))
        if not path.is_relative_to(ROOT) or getattr(callback, "no_lost_updates", False):
            continue
        if path not in trees:
            tree = ast.parse(path.read_text(), str(path))
            trees[path] = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        if view.__name__ in trees[path] and saves_a_versioned_form(
            trees[path], view.__name__, versioned
        ):
            found.append(f"{path.relative_to(ROOT)} {view.__name__}")
    return sorted(set(found))


def test_every_view_saving_a_versioned_form_locks_what_it_saves():
    """Wrapped in `maca.concurrency.no_lost_updates` (docs/architecture.md)."""
    assert {"item_form_class", "MeetingForm", "ActionUpdateForm"} <= versioned_form_names()
    assert unguarded_versioned_saves() == []


def test_every_view_saving_a_versioned_form_answers_a_second_press_as_the_first():
    """A double click on Save is answered as the first press was ("... was saved"), not with
    the first press's save as someone else's change (maca/once.py)."""
    from django.urls import get_resolver

    once = [
        getattr(callback, "__name__", "")
        for callback in _callbacks(get_resolver().url_patterns)
        if getattr(callback, "no_lost_updates", False) and not getattr(callback, "one_press", False)
    ]
    assert once == []


def test_the_versioned_saves_check_sees_a_form_bound_in_a_helper():
    tree = ast.parse(
        "def view(request):\n    return _save(request)\n\n"
        "def _save(request):\n    form = ItemForm(request.POST)\n\n"
        "def other(request):\n    return ItemForm()\n"
    )
    functions = {node.name: node for node in tree.body}
    assert saves_a_versioned_form(functions, "view", {"ItemForm"})
    assert not saves_a_versioned_form(functions, "other", {"ItemForm"})

"""The shape of the code: each app builds only on the apps below it."""

import ast
import configparser
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

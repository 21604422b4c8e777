"""Data flows one way: API -> collector -> database -> attribution and analyses -> reports and export ->
scheduler/CLI and the web view.

A module may import only from its own layer or lower ones; this test reads every import in the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tracker"

# Lower number = lower layer. `http` and `db` sit side by side below the collectors.
LAYERS = {
    "config": 0,
    "cron": 0,
    "logs": 0,
    "memory": 0,
    "http": 1,
    "db": 1,
    "runs": 2,
    "collection": 2,
    "status": 2,
    "sources": 3,
    "attribution": 4,
    "analyses": 5,
    "reports": 6,
    "export": 6,
    "scheduler": 7,
    "cli": 8,
    "web": 8,
}
# The web view sits beside the CLI (which starts it); it never imports the CLI.
SIDE_BY_SIDE = {("http", "db"), ("db", "http"), ("web", "cli")}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "tracker" else None


def test_no_module_imports_a_higher_layer() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _part(".".join(relative.parts))
        if own is None or own not in LAYERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = (
                    [node.module] if node.module != "tracker" else [f"tracker.{a.name}" for a in node.names]
                )
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = _part(name)
                if target is None or target not in LAYERS or target == own:
                    continue
                if (own, target) in SIDE_BY_SIDE:
                    violations.append(f"{relative}: imports {name} (http and db stay independent)")
                elif LAYERS[target] > LAYERS[own]:
                    violations.append(f"{relative}: imports {name} from a higher layer")
    assert violations == []


def test_every_package_module_belongs_to_a_layer() -> None:
    top_level = {
        p.stem
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert top_level <= set(LAYERS) | {"migrations"}, top_level - set(LAYERS)

"""The import boundaries of design.md, checked on every `make lint`.

Each rule says which leakhunt package may not import which (at any depth,
module level or inside a function), and which third-party libraries only one
room may use. The pipeline runs one way: cli / pytest_plugin -> render /
views -> hunting / analysis -> model; capture, runtime and files -> model.

Exit 0 when every import keeps to the rules, else one line per breach and
exit 1.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "leakhunt"

# room -> rooms it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "leakhunt.model": (
        "leakhunt.capture", "leakhunt.files", "leakhunt.analysis", "leakhunt.hunting",
        "leakhunt.runtime", "leakhunt.views", "leakhunt.cli", "leakhunt.outputs",
    ),
    "leakhunt.files": (
        "leakhunt.capture", "leakhunt.analysis", "leakhunt.hunting", "leakhunt.runtime",
        "leakhunt.views", "leakhunt.render", "leakhunt.cli",
    ),
    "leakhunt.capture": (
        "leakhunt.analysis", "leakhunt.hunting", "leakhunt.runtime", "leakhunt.views",
        "leakhunt.render", "leakhunt.cli", "leakhunt.outputs",
    ),
    "leakhunt.analysis": (
        "leakhunt.hunting", "leakhunt.runtime", "leakhunt.views", "leakhunt.render",
        "leakhunt.cli", "leakhunt.files", "leakhunt.outputs",
    ),
    "leakhunt.hunting": (
        "leakhunt.runtime", "leakhunt.views", "leakhunt.render", "leakhunt.cli", "leakhunt.files",
    ),
    "leakhunt.views": ("leakhunt.capture", "leakhunt.runtime", "leakhunt.render", "leakhunt.cli"),
    "leakhunt.render": (
        "leakhunt.capture", "leakhunt.runtime", "leakhunt.hunting", "leakhunt.cli",
        "leakhunt.files", "leakhunt.outputs",
    ),
    "leakhunt.runtime": ("leakhunt.cli", "leakhunt.hunting", "leakhunt.views"),
}  # fmt: skip

# Allowed exceptions, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {
    # the graph search and reachability share the compiled walker's extension
    ("leakhunt.analysis", "leakhunt.capture._walker"): "compiled graph algorithms",
    # HeapGraph.reverse() builds its in-edges with the compiled counting sort
    ("leakhunt.model", "leakhunt.analysis._graphalgo"): "compiled graph algorithms",
    # value classes print as people read them (tracemalloc's __str__ habit):
    # the renderer is imported inside __str__ only, never at import time
    ("leakhunt.model", "leakhunt.render"): "__str__ of values",
    ("leakhunt.model", "leakhunt.views"): "__str__ of values (the view the renderer reads)",
}

# third-party library -> the only rooms that may import it
LIBRARIES: dict[str, tuple[str, ...]] = {
    "typer": ("leakhunt.cli",),
    "click": ("leakhunt.cli",),
    "pytest": ("leakhunt.pytest_plugin",),
    "rich": ("leakhunt.render",),
    "jinja2": ("leakhunt.render",),
    "markupsafe": ("leakhunt.render",),
    "matplotlib": ("leakhunt.render",),
    # an optional extra: never imported by `import leakhunt`
    "prometheus_client": ("leakhunt.runtime.metrics",),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str, str]]:
    """(line, imported module, enclosing function name or "") for each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = func
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
            if isinstance(child, ast.Import):
                out.extend((child.lineno, a.name, func) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                out.append((child.lineno, base, func))
                # `from . import x` imports the submodule x
                out.extend((child.lineno, f"{base}.{a.name}", func) for a in child.names)
            visit(child, name)

    visit(tree, "")
    return out


def _within(name: str, room: str) -> bool:
    return name == room or name.startswith(room + ".")


def breaches() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for line, imported, func in _imports(path, module):
            where = f"{path.relative_to(ROOT)}:{line}"
            for room, banned in FORBIDDEN.items():
                if not _within(module, room):
                    continue
                for other in banned:
                    if not _within(imported, other):
                        continue
                    allowed = ALLOWED.get((room, other)) or next(
                        (
                            why
                            for (r, target), why in ALLOWED.items()
                            if r == room and _within(imported, target)
                        ),
                        None,
                    )
                    if allowed == "__str__ of values" and func == "__str__":
                        continue
                    if allowed and allowed != "__str__ of values":
                        continue
                    found.append(f"{where}: {module} imports {imported} ({room} -> {other})")
            top = imported.split(".")[0]
            rooms = LIBRARIES.get(top)
            if rooms and not any(_within(module, r) for r in rooms):
                found.append(f"{where}: {module} imports {top} (only {', '.join(rooms)} may)")
    return found


def main() -> int:
    found = breaches()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} import(s) cross the boundaries of design.md", file=sys.stderr)
        return 1
    print("import boundaries: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

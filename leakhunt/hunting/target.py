"""What ``leakhunt hunt TARGET`` calls: a file's ``action()``, a named
function in a file, or ``package.module:func``.

- ``path/to/file.py``: the file is imported as a top-level module named
  after its stem (so retainer paths read ``module report_rows -> ...``),
  with its directory and the current directory on ``sys.path`` (as
  ``python path/to/file.py`` and ``python -m`` would); a module of a
  package that imports its siblings relatively is imported as
  ``package.module`` instead. Its ``setup()`` is called once if it has
  one, then ``action()`` is the action.
- ``path/to/file.py:func``: the same import, then ``func`` is the action.
- ``package.module:func``: imported with ``importlib``; ``func`` may be a
  dotted attribute path (``module:Class.method`` of a static method).

Errors are one line (:class:`leakhunt.errors.UsageError`); an exception
raised while importing the target or running its ``setup()`` is a
:class:`TargetError` that also carries the target's own traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Optional

from ..errors import TargetError, UsageError

__all__ = ["Target", "TargetError", "load_target", "target_failed"]


@dataclass(frozen=True)
class Target:
    """A loaded target: ``fn`` is the action, ``name`` says what it is."""

    fn: Callable[[], Any]
    name: str
    module: ModuleType


def _split(spec: str) -> tuple[str, Optional[str]]:
    # "C:\\x\\y.py" keeps its drive colon; the function follows the last one.
    head, sep, tail = spec.rpartition(":")
    if sep and tail and head and not (len(head) == 1 and head.isalpha()):
        return head, tail
    return spec, None


def target_failed(what: str, e: BaseException) -> TargetError:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    line = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
    return TargetError(f"{what} failed: {line} (its traceback is above)", tb)


def _import_file(path: str) -> ModuleType:
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory; give a .py file or package.module:func")
    if not path.endswith(".py"):
        raise UsageError(f"{path}: not a Python file (.py)")
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier():
        raise UsageError(f"{path}: {name!r} is not a valid module name")
    directory = os.path.dirname(os.path.abspath(path))
    for entry in (os.getcwd(), directory):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as e:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
        if isinstance(e, KeyboardInterrupt):
            raise
        dotted = _package_name(path)
        if isinstance(e, ImportError) and "relative import" in str(e) and dotted:
            # a module of a package (it imports its siblings relatively):
            # import it as package.module, its package root on sys.path
            root, qualified = dotted
            if root not in sys.path:
                sys.path.insert(0, root)
            return _import_module(qualified)
        raise target_failed(f"importing {path}", e) from None
    return module


def _package_name(path: str) -> Optional[tuple[str, str]]:
    """For a file inside a package: (the directory above the outermost
    package, the module's dotted name), else None."""
    directory = os.path.dirname(os.path.abspath(path))
    parts = [os.path.splitext(os.path.basename(path))[0]]
    while os.path.exists(os.path.join(directory, "__init__.py")):
        parts.append(os.path.basename(directory))
        directory = os.path.dirname(directory)
    if len(parts) == 1 or not all(p.isidentifier() for p in parts):
        return None
    return directory, ".".join(reversed(parts))


def _import_module(name: str) -> ModuleType:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            raise UsageError(f"{name}: no such module (is it importable from here?)") from None
        raise target_failed(f"importing {name}", e) from None
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        raise target_failed(f"importing {name}", e) from None


def _attribute(module: ModuleType, where: str, dotted: str) -> Any:
    obj: Any = module
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"{where}: has no {dotted!r}") from None
    return obj


def load_target(spec: str) -> Target:
    """Import ``spec`` and return its action (see the module docstring)."""
    if not spec or not spec.strip():
        raise UsageError("the target is empty; give path/to/file.py[:func] or package.module:func")
    where, func = _split(spec)
    is_file = where.endswith(".py") or os.sep in where or "/" in where or os.path.exists(where)
    module = _import_file(where) if is_file else _import_module(where)
    if func is None and not is_file:
        raise UsageError(
            f"{spec}: name the function to call, as {spec}:func (or give a .py file "
            "with an action())"
        )
    if func is None:
        fn = getattr(module, "action", None)
        if fn is None:
            raise UsageError(
                f"{where}: has no action() to call; define one, or name the function "
                f"as {where}:func"
            )
        setup = getattr(module, "setup", None)
        if callable(setup):
            try:
                setup()
            except Exception as e:
                raise target_failed(f"{where}: setup()", e) from None
        name = f"{where}:action"
    else:
        fn = _attribute(module, where, func)
        name = f"{where}:{func}"
    if not callable(fn):
        raise UsageError(f"{name}: is not callable (it is a {type(fn).__name__})")
    return Target(fn=fn, name=name, module=module)

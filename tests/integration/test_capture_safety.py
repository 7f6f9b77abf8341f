"""Capture is safe inside someone else's process (issue 14): hostile
classes cannot crash it or make it call their code, and no Python frame holds
the list of all objects while another thread can run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import leakhunt
from leakhunt import capture

needs_c = pytest.mark.skipif(capture.walker_name() != "c", reason="needs the compiled walker")


def run_py(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


BORROWED = ["dict", "list", "set", "frozenset", "str", "bytearray", "tuple", "bytes", "int"]


@pytest.mark.parametrize("pure", ["0", "1"])
@pytest.mark.parametrize("graph", [False, True])
def test_a_borrowed_c_sizeof_is_never_called_on_a_foreign_object(pure: str, graph: bool) -> None:
    # GIVEN classes whose __sizeof__ is a C method of another type, or a
    # builtin function with a side effect (gc.collect, print)
    # WHEN a snapshot counts them (in a child process: a crash is an exit code)
    r = run_py(
        f"""
        import gc, sys, leakhunt
        kinds = {BORROWED!r}
        classes = [type("Evil_" + k, (), {{"__sizeof__": getattr(__builtins__, k).__sizeof__}})
                   for k in kinds]
        classes.append(type("Evil_collect", (), {{"__sizeof__": gc.collect}}))
        classes.append(type("Evil_print", (), {{"__sizeof__": print}}))
        keep = [c() for c in classes for _ in range(100)]
        s = leakhunt.snapshot(save=False, graph={graph})
        for c in classes:
            st = s.stat("__main__." + c.__qualname__)
            print(c.__qualname__, st.count, st.size)
        # object.__sizeof__ plus the gc header and the managed pre-header
        print("expected", sys.getsizeof(object.__new__(type("Plain", (), {{}}))))
        """,
        env={"LEAKHUNT_PURE_PYTHON": pure},
    )
    # THEN the process survives, nothing is printed by `print`, and every
    # instance is counted with the size of an ordinary instance
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    expected = int(lines[-2].split()[1])
    rows = [line.split() for line in lines[:-2]]
    assert [row[0] for row in rows] == [f"Evil_{k}" for k in [*BORROWED, "collect", "print"]]
    for name, count, size in rows:
        assert (int(count), int(size)) == (100, 100 * expected), name


@pytest.mark.parametrize(("graph", "pure"), [(False, "0"), (True, "0"), (False, "1")])
def test_program_threads_never_see_the_walks_references(graph: bool, pure: str) -> None:
    if capture.walker_name() != "c" and pure == "0":
        pytest.skip("needs the compiled walker")
    # GIVEN program threads that build tuples from generators (the tuple is
    # resized in place, which fails if anything else holds a reference)
    # WHEN snapshots run in a loop meanwhile, with frequent thread switches
    r = run_py(
        f"""
        import sys, threading, leakhunt
        sys.setswitchinterval(1e-5)
        errors, stop = [], []
        def program_thread():
            while not stop:
                try:
                    tuple(x for x in range(50))
                except SystemError as e:
                    errors.append(e)
        threads = [threading.Thread(target=program_thread) for _ in range(2)]
        for t in threads:
            t.start()
        # (the pure walker waits up to half a second for the GIL each time)
        for _ in range({10 if pure == "1" else 40}):
            leakhunt.snapshot(save=False, collect=False, graph={graph})
        stop.append(1)
        for t in threads:
            t.join()
        print(len(errors))
        """,
        env={"LEAKHUNT_PURE_PYTHON": pure},
    )
    # THEN no program thread ever failed
    assert (r.returncode, r.stdout, r.stderr) == (0, "0\n", "")


_HEAP = """
import json, sys, warnings, leakhunt
from leakhunt.capture import _walker
class Node:
    def __init__(self, i):
        self.payload = [i]
def gen():
    held = Node(-1)
    yield held
KEEP = [Node(i) for i in range(50)]
G = gen(); next(G)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    a = leakhunt.snapshot(save=False, graph=True)
    b = leakhunt.snapshot(save=False, graph=True)
h = leakhunt.snapshot(save=True, path="bg-snaps", graph=True, background=True)
h.wait(60)
counts = {t.name: t.count for t in a.types if t.name.startswith("__main__.")}
print(json.dumps({"known": _walker.KNOWN_LAYOUTS, "counts": counts,
                  "gc_lists": _walker.READS_GC_LISTS,
                  "nodes": len(a.graph.ids) > 1000,
                  "why": leakhunt.why(KEEP[3]).text, "background_error": h.error,
                  "warnings": [str(w.message) for w in caught]}))
"""


@needs_c
def test_past_the_checked_versions_the_walker_reads_no_private_layout(tmp_path: Path) -> None:
    # GIVEN the walker built as it is past the last CPython checked
    # (-DLH_GENERIC_LAYOUTS compiles none of _cpython.h's layouts)
    cc = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0])
    if cc is None:
        pytest.skip("no C compiler")
    pkg = Path(leakhunt.__file__).parent
    copy = tmp_path / "generic" / "leakhunt"  # not in the cwd: the normal run imports from there
    shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    out = copy / "capture" / ("_walker" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        [
            cc,
            "-shared",
            "-fPIC",
            "-O0",
            "-DNDEBUG",  # as setuptools builds it (CPython's asserts off)
            "-DLH_GENERIC_LAYOUTS",
            "-I" + sysconfig.get_paths()["include"],
            str(copy / "capture" / "_walker.c"),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    # WHEN the same heap is captured with the generic build and the normal one
    generic = json.loads(run_py(_HEAP, env={"PYTHONPATH": str(copy.parent)}).stdout)
    normal = json.loads(run_py(_HEAP).stdout)
    # THEN the generic build says so, once, and counts exactly the same
    assert (generic["known"], normal["known"]) == (0, 1), (generic, normal)
    # the normal build lists objects from the gc's own lists (no reference
    # taken, checked against gc.get_objects() at import); the generic one
    # asks gc.get_objects()
    assert (generic["gc_lists"], normal["gc_lists"]) == (0, 1)
    assert len(generic["warnings"]) == 1 and "generic labels" in generic["warnings"][0]
    assert normal["warnings"] == []
    assert generic["counts"] == normal["counts"] == {"__main__.Node": 51}
    # and still finds paths through what public structures say
    assert generic["nodes"] and normal["why"] == "module __main__ -> .KEEP -> [3] -> __main__.Node"
    assert generic["why"] == normal["why"]
    # and a background graph snapshot works too (its child warns nothing)
    assert generic["background_error"] is None and normal["background_error"] is None


SECRETS_APP = """
import leakhunt, sys
SESSIONS = {"sk_live_SECRETTOKEN0001": object(), "alice@example.com": object(),
            b"DB_PASSWORD": 1, 4242424242: 2}
class Holder:
    def __init__(self):
        self.cache_v2 = {"pool": [1]}
HOLDER = Holder()
HOLDER.__dict__  # a real instance dict (3.11+ keeps attributes inline until asked)
s = leakhunt.snapshot("s", path="snaps", graph=True, keys=sys.argv[1])
print(s.path)
"""

SECRET_KEYS = [
    "sk_live_SECRETTOKEN0001",
    "alice@example.com",
    "DB_PASSWORD",
    "4242424242",
    "'pool'",
]


def _file_text(path: str) -> str:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read()


@needs_c
@pytest.mark.parametrize(
    ("keys", "kept"),
    [
        ("namespaces", []),
        ("names", ["sk_live_SECRETTOKEN0001", "'pool'"]),
        ("all", SECRET_KEYS),
    ],
)
def test_graph_files_hold_no_dict_keys_of_data_unless_asked(
    tmp_path: Path, keys: str, kept: list[str]
) -> None:
    # GIVEN a program whose dicts are keyed by tokens, e-mails, bytes and ints
    (tmp_path / "app.py").write_text(SECRETS_APP, encoding="utf-8")
    # WHEN it writes a graph snapshot with keys=...
    r = subprocess.run(
        [sys.executable, "app.py", keys], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    path = tmp_path / r.stdout.strip()
    text = _file_text(str(path))
    # THEN the file holds exactly the keys asked for, and always the names of
    # globals and attributes (keys of namespace dicts)
    assert [k for k in SECRET_KEYS if k in text] == kept
    assert "['SESSIONS']" in text and "['cache_v2']" in text
    assert "[<str>]" in text or keys == "all"
    assert path.stat().st_mode & 0o777 == 0o600


@needs_c
def test_retainer_paths_keep_names_and_mask_data_keys() -> None:
    # GIVEN an object held by a global dict under a data key, and one held
    # by an attribute
    r = run_py(
        """
        import leakhunt
        class Session: pass
        class App:
            def __init__(self):
                self.current = Session()
        SESSIONS = {"tok-123": Session()}
        APP = App()
        print(leakhunt.why(SESSIONS["tok-123"]).text)
        print(leakhunt.why(APP.current).text)
        """
    )
    # THEN the data key is shown by its type, the names as they are
    assert r.stdout.splitlines() == [
        "module __main__ -> .SESSIONS -> [<str>] -> __main__.Session",
        "module __main__ -> .APP -> .current -> __main__.Session",
    ], r.stderr


@needs_c
def test_unknown_keys_mode_is_refused() -> None:
    with pytest.raises(leakhunt.LeakhuntError, match="keys='some'"):
        leakhunt.snapshot(save=False, graph=True, keys="some")


@needs_c
@pytest.mark.parametrize("keys", ["namespaces", "all"])
def test_graph_labels_do_not_grow_with_distinct_dict_keys(keys: str) -> None:
    # GIVEN dicts of 1,000 and of 100,000 distinct keys (issue 14 item 11:
    # every key became a label, 10M keys cost 2.2 GiB)
    def labels(n: int) -> int:
        big = {f"session-token-{i:012d}": None for i in range(n)}
        try:
            return len(leakhunt.snapshot(save=False, graph=True, keys=keys).graph.label_names)
        finally:
            del big

    small, large = labels(1_000), labels(100_000)
    # THEN the labels stay within the documented budget of 65,536 named labels
    if keys == "namespaces":
        assert large - small < 100
    else:
        assert small < large <= small + 65_536


def test_asyncio_free_list_is_never_touched_by_either_walker(tmp_path: Path) -> None:
    # GIVEN freed asyncio future iterators on _asyncio's free list, which
    # 3.12 and 3.13.0 report from the module's traverse (CPython gh-122695)
    code = textwrap.dedent(
        """
        import asyncio, gc
        import leakhunt
        from leakhunt import capture
        async def main():
            fut = asyncio.get_running_loop().create_future()
            it = iter(fut); del it
            fut.set_result(1)
            await fut
        for _ in range(3):
            asyncio.run(main())
        capture._STATE.force_python = True
        for _ in range(5):
            leakhunt.snapshot("py", save=False)
        capture._STATE.force_python = False
        leakhunt.snapshot("c", save=False)
        leakhunt.snapshot("graph", save=False, graph=True)
        leakhunt.why(main)
        gc.collect()  # hangs for ever once the free list loops
        print("done")
        """
    )
    # WHEN both walkers snapshot the heap, THEN the program goes on (a
    # reference taken to a freed iterator and dropped loops the free list)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr

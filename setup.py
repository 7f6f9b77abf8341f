"""Builds the optional compiled walker. Without a C compiler the build of
the extension fails quietly (optional=True) and leakhunt uses its pure-Python
walker, which gives identical results, only slower. LEAKHUNT_REQUIRE_EXTENSIONS=1
(``make test`` where a compiler is) makes a failed build an error."""

import os
import sysconfig

from setuptools import Extension, setup


def _zlib() -> dict:
    """Compile graph snapshots' streaming compression where zlib's header is
    (Debian: zlib1g-dev); without it the walker hands arrays to Python."""
    dirs = [sysconfig.get_config_var("INCLUDEDIR") or "", "/usr/include", "/usr/local/include"]
    if any(os.path.exists(os.path.join(d, "zlib.h")) for d in dirs if d):
        return {"define_macros": [("LH_HAVE_ZLIB", "1")], "libraries": ["z"]}
    return {}


OPTIONAL = os.environ.get("LEAKHUNT_REQUIRE_EXTENSIONS") != "1"


setup(
    ext_modules=[
        Extension(
            "leakhunt.capture._walker",
            sources=["leakhunt/capture/_walker.c"],
            depends=["leakhunt/capture/_graph.h", "leakhunt/capture/_cpython.h"],
            optional=OPTIONAL,
            **_zlib(),
        ),
        # the hot loops of reading V8 heap snapshots (pure-Python twins in
        # leakhunt/files/v8_read.py and v8_convert.py)
        Extension("leakhunt.files._v8", sources=["leakhunt/files/_v8.c"], optional=OPTIONAL),
        # BFS, dominators, retained sizes and path signatures over CSR
        # arrays; the pure-Python twins in leakhunt/analysis stand in
        Extension(
            "leakhunt.analysis._graphalgo",
            sources=["leakhunt/analysis/_graphalgo.c"],
            optional=OPTIONAL,
        ),
    ]
)

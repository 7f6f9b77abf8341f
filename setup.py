"""Builds the optional compiled walker. Without a C compiler the build of
the extension fails quietly (optional=True) and leakhunt uses its pure-Python
walker, which gives identical results, only slower."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "leakhunt.capture._walker",
            sources=["leakhunt/capture/_walker.c"],
            depends=["leakhunt/capture/_graph.h", "leakhunt/capture/_cpython.h"],
            optional=True,
        ),
        # the hot loops of reading V8 heap snapshots (pure-Python twins in
        # leakhunt/files/v8_read.py and v8_convert.py)
        Extension("leakhunt.files._v8", sources=["leakhunt/files/_v8.c"], optional=True),
        # BFS, dominators, retained sizes and path signatures over CSR
        # arrays; the pure-Python twins in leakhunt/analysis stand in
        Extension(
            "leakhunt.analysis._graphalgo",
            sources=["leakhunt/analysis/_graphalgo.c"],
            optional=True,
        ),
    ]
)

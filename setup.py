"""Builds the optional compiled walker. Without a C compiler the build of
the extension fails quietly (optional=True) and leakhunt uses its pure-Python
walker, which gives identical results, only slower."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "leakhunt._walker",
            sources=["leakhunt/_walker.c"],
            depends=["leakhunt/_graph.h"],
            optional=True,
        )
    ]
)

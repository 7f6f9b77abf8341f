"""``python -m leakhunt``: the same as the ``leakhunt`` command."""

from .cli import run

if __name__ == "__main__":
    run()

"""Leak scenarios: plain modules with ``action()`` (one unit of work) and an
optional ``setup()``. Leaking ones and non-leaking controls live side by
side; tests assert each one's expected outcome."""

"""LEAKS: an ``array.array`` replaced by a longer copy every call.

A sensor buffer keeps its history the way ``np.append`` does it: each new
reading makes a new array of the old values plus the new ones, assigned
back to ``.history``. One array object, growing by 64 floats a call.
"""

from __future__ import annotations

from array import array

EXPECT = {
    "leak": True,
    "types": ["array.array"],
    "retainer": [".history"],
    "mechanism": "array replaced by an appended copy each call (np.append style)",
    "oracle": "bytes",
}


class SensorBuffer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.history = array("d")

    def extend(self, values: list[float]) -> None:
        self.history = self.history + array("d", values)  # a new, longer array


SENSORS = [SensorBuffer("boiler"), SensorBuffer("intake")]
_COUNTER = [0]


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    SENSORS[0].extend([(n * 64 + i) % 97 / 10 for i in range(64)])
    return SENSORS[0].history[-1]

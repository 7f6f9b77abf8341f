"""The README's timeline example: a service loop of searches (CPU),
reports (cached: the leak) and image resizes (a big buffer, freed).

    leakhunt run --interval 0.1 -o timeline.jsonl -- python examples/timeline_app.py 160
    leakhunt timeline timeline.jsonl --text
"""

import sys
import time

import leakhunt

_REPORT_CACHE = {}


def search(i):
    return sum(len(str(n)) for n in range(60_000))


def generate_report(i):
    rows = [{"id": n, "customer": f"c{n % 97}", "amount": n * 0.5} for n in range(4_000)]
    _REPORT_CACHE[i] = rows  # cached under a key that never repeats
    return len(rows)


def resize_images(i):
    buf = bytearray(40 * 2**20)
    time.sleep(0.2)
    return len(buf)


for i in range(int(sys.argv[1])):
    with leakhunt.mark("search"):
        search(i)
    if i % 3 == 0:
        with leakhunt.mark("generate_report"):
            generate_report(i)
    if i % 40 == 20:
        with leakhunt.mark("resize_images"):
            resize_images(i)
    time.sleep(0.03)

"""The start-up heap is frozen in a process of its own (never in the test process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_freezing_hides_the_start_up_objects_from_later_collections() -> None:
    script = textwrap.dedent(
        """
        import gc
        from lipa.heap import freeze_startup_heap

        class Node:
            pass

        before = gc.get_freeze_count()
        frozen = freeze_startup_heap()
        # A cycle made after start-up is still collected.
        node = Node()
        node.self = node
        del node
        collected = gc.collect()
        print(before, frozen, frozen == gc.get_freeze_count(), collected > 0)
        """
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    before, frozen, counted, collected = result.stdout.split()
    assert before == "0"
    assert int(frozen) > 1000  # the interpreter's and Lipa's modules at least
    assert counted == "True"
    assert collected == "True"

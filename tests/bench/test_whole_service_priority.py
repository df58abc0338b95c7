"""Benchmark 5's fakes run at a lower CPU priority while the service is measured, only where
the benchmark can set it back (the bare baseline and wrk run at the usual one)."""

from __future__ import annotations

import os

import pytest

from bench import whole_service
from bench.whole_service import fakes_niced, may_raise_priority


def test_the_fakes_are_niced_meanwhile_and_set_back_with_wrk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if not may_raise_priority(before):
        pytest.skip("setting the priority back needs root or RLIMIT_NICE")
    monkeypatch.setattr(whole_service, "CLIENT", "wrk")
    with fakes_niced(5) as wrk_nice:
        assert os.getpriority(os.PRIO_PROCESS, 0) == min(19, before + 5)
        assert wrk_nice == before  # wrk is started at the usual priority
    assert os.getpriority(os.PRIO_PROCESS, 0) == before


@pytest.mark.parametrize(("client", "increment"), [("python", 5), ("wrk", 0)])
def test_nothing_changes_with_the_python_client_or_no_increment(
    monkeypatch: pytest.MonkeyPatch, client: str, increment: int
) -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    monkeypatch.setattr(whole_service, "CLIENT", client)
    with fakes_niced(increment) as wrk_nice:
        assert os.getpriority(os.PRIO_PROCESS, 0) == before
        assert wrk_nice is None

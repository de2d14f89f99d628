"""Stages with real faults, for tests of how the pipeline contains them (importable by name)."""

from __future__ import annotations

from vidscribe.stage import Stage, StageContext, StageOutput


def _crash(ctx: StageContext) -> StageOutput:
    return StageOutput(changes={"nothing": 1 // 0})


STAGE = Stage(name="crashing", version="1", run=_crash)

"""What the handlers keep across warm invocations: one client factory, pipeline and activity service.

Built from the environment on first use. `use()` is the one seam for running the handlers
somewhere else (the emulator's local pipeline, tests): it swaps the factory they are built with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idcensus.aws import ClientFactory
from idcensus.settings import Settings

if TYPE_CHECKING:
    from idcensus.pipeline import Pipeline
    from idcensus.stream.service import ActivityService

_factory: ClientFactory | None = None
_pipeline: Pipeline | None = None
_service: ActivityService | None = None


def use(factory: ClientFactory | None) -> None:
    """Build what the handlers use from `factory` (None: from the environment) and settings read anew."""
    global _factory, _pipeline, _service
    _factory, _pipeline, _service = factory, None, None


def factory() -> ClientFactory:
    global _factory
    if _factory is None:
        _factory = ClientFactory.from_environment()
    return _factory


def settings() -> Settings:
    return Settings.from_env()


def pipeline() -> Pipeline:
    global _pipeline
    if _pipeline is None:
        from idcensus.pipeline import Pipeline

        _pipeline = Pipeline(settings(), factory())
    return _pipeline


def activity() -> ActivityService:
    global _service
    if _service is None:
        from idcensus.stream.service import ActivityService

        _service = ActivityService(settings(), factory())
    return _service

from typing import Any

import pytest

from tests.templates.cfn import MEMBER, TEMPLATE, load, sam_transform


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load(TEMPLATE)


@pytest.fixture(scope="session")
def member() -> dict[str, Any]:
    return load(MEMBER)


@pytest.fixture(scope="session")
def transformed(template) -> dict[str, Any]:
    return sam_transform(template)

"""Shared fixtures: the real catalogue, registry and round parameters."""

import pytest

from schemas.catalogue import Catalogue, get_catalogue
from schemas.departments import Registry, get_registry
from schemas.round import RoundParameters, get_round


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return get_catalogue()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return get_registry()


@pytest.fixture(scope="session")
def parameters() -> RoundParameters:
    return get_round()

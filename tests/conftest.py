"""Shared fixtures: the real catalogue, registry and round parameters."""

import os
import tempfile

import pytest

# Prefect keeps its home in a throwaway folder for the test session, set before any
# module imports Prefect (flows/ would otherwise default it to the project's var/).
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="huizong-prefect-")

from samples.corpus import CorpusWriter
from samples.figures import sample_figures
from schemas.catalogue import Catalogue, get_catalogue
from schemas.departments import Registry, get_registry
from schemas.round import RoundParameters, activate, get_round


@pytest.fixture(autouse=True)
def _round_of_round_yaml():
    """A test that opens a new round in this process leaves round.yaml's in force after."""
    yield
    activate(None)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return get_catalogue()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return get_registry()


@pytest.fixture(scope="session")
def parameters() -> RoundParameters:
    return get_round()


@pytest.fixture(scope="session")
def figures(catalogue, parameters):
    return sample_figures(catalogue, parameters.round.years)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, catalogue, registry, parameters, figures) -> CorpusWriter:
    return CorpusWriter(catalogue, registry, parameters, figures,
                        tmp_path_factory.mktemp("corpus"))


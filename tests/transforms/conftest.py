import pytest

from samples.corpus import CorpusWriter
from samples.figures import sample_figures


@pytest.fixture(scope="session")
def figures(catalogue, parameters):
    return sample_figures(catalogue, parameters.round.years)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, catalogue, registry, parameters, figures) -> CorpusWriter:
    return CorpusWriter(catalogue, registry, parameters, figures,
                        tmp_path_factory.mktemp("corpus"))

"""The neighbour median of the unit-slip check is NumPy's nanmedian, only faster."""

import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from schemas.validate import nanmedian_of_rows

values = st.one_of(st.just(np.nan), st.floats(0.01, 1e9))


@given(st.tuples(st.integers(1, 6), st.integers(0, 5), st.integers(1, 4))
       .flatmap(lambda shape: arrays(np.float64, shape, elements=values)))
def test_it_is_numpys_nanmedian_of_each_row(series):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of NaN only
        expected = np.nanmedian(series, axis=1)
    np.testing.assert_allclose(nanmedian_of_rows(series), expected, rtol=1e-12)

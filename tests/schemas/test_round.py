import datetime as dt

import pytest
import yaml
from pydantic import ValidationError

from schemas.round import ROUND_FILE, RoundParameters, get_round


def test_example_city_and_round():
    parameters = get_round()
    assert (parameters.city, parameters.province) == ("青源市", "南江省")
    assert parameters.round.years == (2021, 2022, 2023, 2024, 2025)
    assert parameters.round.deadline == dt.date(2026, 12, 15)
    assert parameters.report["party_congress"] == "二十"


def test_no_literal_xx_anywhere_in_the_parameters():
    assert "XX" not in ROUND_FILE.read_text(encoding="utf-8").upper()


def test_a_leftover_placeholder_is_rejected():
    raw = yaml.safe_load(ROUND_FILE.read_text(encoding="utf-8"))
    raw["report"]["film_title"] = "XX"
    with pytest.raises(ValidationError, match="XX"):
        RoundParameters.model_validate(raw)

from typing import Annotated, Literal

import pytest

from snn.errors import ConfigError
from snn.schema import PositiveInt, Range, UnitInterval, check, check_arguments, describe
from snn.schema import signature_spec


def test_int_accepts_ints_and_rejects_bools_and_floats():
    assert check(3, int, "k") == 3
    for bad in (True, 3.0, "3"):
        with pytest.raises(ConfigError, match="k: got"):
            check(bad, int, "k")


def test_float_widens_ints():
    value = check(1, float, "k")
    assert value == 1.0 and isinstance(value, float)


@pytest.mark.parametrize("value, ok", [(0.0, True), (0.5, True), (1.0, False), (-0.1, False)])
def test_unit_interval_is_half_open(value, ok):
    if ok:
        assert check(value, UnitInterval, "rate") == value
    else:
        with pytest.raises(ConfigError, match=r"expected a number in \[0.0, 1.0\)"):
            check(value, UnitInterval, "rate")


def test_union_and_list_messages_describe_every_option():
    annotation = PositiveInt | list[PositiveInt]
    assert check([1, 2], annotation, "units") == [1, 2]
    with pytest.raises(ConfigError) as error:
        check([1, 0], annotation, "units")
    assert str(error.value) == ("units: got [1, 0] (list); expected an integer >= 1 or a list "
                                "of integers >= 1")


def test_literal_lists_choices():
    with pytest.raises(ConfigError, match="expected one of 'a', 'b'"):
        check("c", Literal["a", "b"], "k")


def test_range_description():
    assert describe(Annotated[float, Range(0.0, low_open=True)]) == "a number > 0.0"


def _builder(size: PositiveInt, rate: UnitInterval = 0.0):
    return size, rate


def test_check_arguments_names_unknown_and_missing_keys():
    spec = signature_spec(_builder)
    assert check_arguments(spec, {"size": 2}, "model") == {"size": 2, "rate": 0.0}
    with pytest.raises(ConfigError, match="model.sise: unknown key; did you mean 'size'"):
        check_arguments(spec, {"sise": 2}, "model")
    with pytest.raises(ConfigError, match="model.size: missing"):
        check_arguments(spec, {}, "model")


def test_numpy_scalars_count_as_numbers():
    import numpy as np

    assert check(np.int64(3), int, "k") == 3 and type(check(np.int64(3), int, "k")) is int
    assert check(np.float32(0.5), float, "k") == 0.5
    with pytest.raises(ConfigError):
        check(np.float64(2.5), int, "k")

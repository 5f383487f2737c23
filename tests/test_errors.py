"""Errors a user can cause: one line each, with the closest known name for a misspelling."""

from snn.errors import ConfigError, describe, did_you_mean


def test_a_misspelled_name_gets_the_closest_known_one():
    assert did_you_mean("bill_lenght_mm", ["island", "bill_length_mm", "bill_depth_mm"]) == \
        "did you mean 'bill_length_mm'? "


def test_a_name_close_to_none_gets_no_hint():
    assert did_you_mean("colour", ["island", "year"]) == ""


def test_describe_gives_a_users_error_as_is_and_a_bug_with_its_type():
    assert describe(ConfigError("seed: got -1")) == "seed: got -1"
    assert describe(ValueError("bad value\nsecond line")) == "ValueError: bad value"
    assert describe(MemoryError()) == "MemoryError"

"""Tables: CSV and Parquet files with named, numeric and categorical columns and missing
cells, read as users have them."""

import gzip

import numpy as np
import pandas as pd
import pytest

from snn.data.tables import STREAM_BLOCK_BYTES, load_csv, load_parquet, read_table
from snn.errors import ConfigError, DataError


def test_csv_with_header_label_by_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n")
    x, y = load_csv(path, label="kind")
    assert list(x.columns) == ["a", "b"]
    np.testing.assert_array_equal(x.to_numpy(), [[1, 2], [3, 4], [5, 6]])
    assert list(y) == ["cat", "dog", "cat"]


def test_gzipped_csv_without_header_label_by_index(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("7,1,2\n10,3,4\n")
    x, y = load_csv(path, label=0)
    assert list(x.columns) == ["1", "2"]
    np.testing.assert_array_equal(x.to_numpy(), [[1, 2], [3, 4]])
    assert list(y) == [7, 10] and y.dtype == np.int64  # numeric labels sort as numbers


def test_text_columns_are_categorical_and_missing_cells_are_nan(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("size,color,year,kind\n1.5,blue,2007,a\nNA,red,NA,b\n2.5,NA,2009,a\n")
    x, _ = load_csv(path, label="kind")
    assert pd.api.types.is_float_dtype(x["size"]) and pd.api.types.is_float_dtype(x["year"])
    assert list(x["color"].iloc[:2]) == ["blue", "red"] and pd.isna(x["color"].iloc[2])
    assert np.isnan(x["size"].iloc[1])
    # A listed column is categorical even when it holds numbers: a year reads "2007",
    # though its column, with a missing cell, was read as floats.
    x, _ = load_csv(path, label="kind", categorical=["color", "year"])
    assert list(x["year"].iloc[[0, 2]]) == ["2007", "2009"] and pd.isna(x["year"].iloc[1])


def test_features_and_drop_choose_the_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,a,b,c,y\n1,1,2,3,0\n2,4,5,6,1\n")
    assert list(load_csv(path, label="y", drop=["id"])[0].columns) == ["a", "b", "c"]
    assert list(load_csv(path, label="y", features=["c", "a"])[0].columns) == ["c", "a"]
    with pytest.raises(ConfigError, match="data.drop: .* has no column 'ID'; columns: id, a"):
        load_csv(path, label="y", drop=["ID"])
    with pytest.raises(ConfigError, match="data.features: 'y' is the label column"):
        load_csv(path, label="y", features=["a", "y"])


def test_an_unnamed_first_column_is_r_row_names_and_left_out(shared_data):
    # ../shared/data/README.md: diamonds' first column is a row number; 53,940 rows.
    x, y = load_csv(shared_data / "tabular" / "diamonds.csv", label="price")
    assert list(x.columns) == ["carat", "cut", "color", "clarity", "depth", "table", "x", "y",
                               "z"]
    assert len(x) == 53940 and y[:3].tolist() == [326, 326, 327]


def test_real_penguins_table(shared_data):
    # palmerpenguins 0.1.6: 344 birds (152 Adelie, 68 Chinstrap, 124 Gentoo); 11 of them
    # have no recorded sex, 2 no measurements.
    x, y = load_csv(shared_data / "tabular" / "penguins.csv", label="species")
    assert x.shape == (344, 7)
    assert [name for name in x.columns if not pd.api.types.is_numeric_dtype(x[name])] == \
        ["island", "sex"]
    assert x["sex"].isna().sum() == 11 and x["bill_length_mm"].isna().sum() == 2
    assert {name: int((y == name).sum()) for name in np.unique(y)} == {
        "Adelie": 152, "Chinstrap": 68, "Gentoo": 124}


@pytest.mark.parametrize("text, label, error, message", [
    # Mostly numbers with one text cell: a typo, not a categorical column.
    ("a,b,c\n1,2,0\n1,oops,0\n1,3,0\n", "c", DataError,
     "line 3, column 'b': got 'oops'; expected a number"),
    ("a,b,c\n1,inf,0\n", "c", DataError, "line 2, column 'b': got 'inf'; features must be "
                                         "finite"),
    ("a,b,c\n1,2,0\n1,2\n", "c", DataError, "line 3 has 2 columns; expected 3"),
    ("a,b,c\n1,2,0\n1,2,NA\n", "c", DataError, "line 3, column 'c': the label is missing"),
    ("", -1, DataError, "the file is empty"),
    ("a,b,c\n", -1, DataError, "has a header but no data rows"),
    ("a,b,a\n1,2,0\n", -1, DataError, "line 1: column name 'a' appears 2 times"),
    ("a,b,c\n1,2,0\n", "d", ConfigError, "data.label: .* has no column 'd'; columns: a, b, c"),
    ("1,2,0\n", "c", ConfigError, "has no header line; give the label column's index"),
    ("1,2,0\n", 5, ConfigError, r"data.label: got column 5; .* has 3 columns"),
])
def test_csv_errors_name_the_line_and_column(tmp_path, text, label, error, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(error, match=message):
        load_csv(path, label=label)


def test_a_column_not_listed_as_categorical_must_hold_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,color,y\n1,blue,0\n2,red,1\n")
    with pytest.raises(DataError, match="line 2, column 'color': got 'blue'; expected a number"):
        load_csv(path, label="y", categorical=[])


def test_a_column_whose_type_shows_only_after_the_first_block_reads_whole(tmp_path):
    # The file is read in blocks of STREAM_BLOCK_BYTES; the first block of `late` is empty
    # and `grade` turns from numbers to text late in the file: both must read as pandas
    # reads the whole file at once.
    rows = STREAM_BLOCK_BYTES // 4  # about 16 bytes a row: four blocks
    late = np.where(np.arange(rows) < rows // 2, np.nan, np.arange(rows) / 4)
    grade = np.where(np.arange(rows) < rows // 3, "1",
                     np.char.add("grade_", (np.arange(rows) % 3).astype(str)))
    frame = pd.DataFrame({"late": late, "grade": grade, "y": np.arange(rows) % 2})
    frame.to_csv(tmp_path / "t.csv", index=False)
    x, y = load_csv(tmp_path / "t.csv", label="y")
    np.testing.assert_array_equal(x["late"].to_numpy(), late)
    assert x["grade"].tolist() == grade.tolist() and y.tolist() == frame["y"].tolist()


def test_a_row_longer_than_a_block_is_read(tmp_path):
    columns = STREAM_BLOCK_BYTES // 4  # each row at least twice a block
    line = ",".join(["1.5"] * columns)
    (tmp_path / "wide.csv").write_text(",".join(f"x{i}" for i in range(columns)) + "\n" +
                                       f"{line}\n{line}\n")
    x, y = load_csv(tmp_path / "wide.csv")
    assert x.shape == (2, columns - 1) and y.tolist() == [1.5, 1.5]


def test_parquet_reads_as_the_csv_does(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("size,color,kind\n1.5,blue,a\nNA,red,b\n2.5,NA,a\n")
    x, y = load_csv(path, label="kind")
    pd.concat([x, pd.Series(y, name="kind")], axis=1).to_parquet(tmp_path / "t.parquet")
    x_parquet, y_parquet = load_parquet(tmp_path / "t.parquet", label="kind")
    pd.testing.assert_frame_equal(x_parquet, x, check_dtype=False)
    assert list(y_parquet) == list(y)
    (from_parquet, parquet_rows), (from_csv, csv_rows) = (read_table(tmp_path / "t.parquet"),
                                                          read_table(path))
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)
    # Messages name a CSV's rows by file line (under the header), a Parquet file's from 1.
    assert (csv_rows.row(0), parquet_rows.row(0)) == (f"{path}: line 2",
                                                      f"{tmp_path / 't.parquet'}: line 1")


def test_an_unreadable_parquet_file_is_a_data_error(tmp_path):
    (tmp_path / "t.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="t.parquet: not a readable Parquet file"):
        load_parquet(tmp_path / "t.parquet")


def test_a_misspelled_column_name_gets_the_closest_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("bill_length_mm,island,species\n39.1,Torgersen,Adelie\n")
    with pytest.raises(ConfigError, match="data.features: .* has no column 'bill_lenght_mm'; "
                                          "did you mean 'bill_length_mm'\\? columns: "):
        load_csv(path, label="species", features=["bill_lenght_mm"])
    with pytest.raises(ConfigError, match="data.label: .* has no column 'specis'; did you "
                                          "mean 'species'\\?"):
        load_csv(path, label="specis")

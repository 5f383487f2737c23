"""Tables as users have them: CSV and Parquet files with named, numeric and categorical
columns and missing cells, read with pyarrow.

The `csv` and `parquet` sources return the feature columns as a pandas DataFrame (numeric
columns as float64, categorical ones as strings, missing cells as NaN) and the label column
as a NumPy array; `snn.data.encoding.TableEncoder` turns the DataFrame into numbers with what
it learns from the training rows alone.
"""

import csv
import gzip
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv
import pyarrow.parquet

from snn.data.encoding import Origin, as_categories, text_cells
from snn.data.sources import SOURCES
from snn.errors import ConfigError, DataError, did_you_mean

Categorical = Literal["auto"] | list[str]
STREAM_BLOCK_BYTES = 1 << 16


@SOURCES.register(name="csv")
def load_csv(
    path: Path,
    label: str | int = -1,
    features: list[str] | None = None,
    drop: list[str] | None = None,
    categorical: Categorical = "auto",
    header: Literal["auto"] | bool = "auto",
    delimiter: str = ",",
):
    """A table from a CSV file (optionally gzip-compressed, `.gz`): one row per example.

    Cells `NA`, `NaN`, `null`, `N/A` and empty cells are missing values, handled by
    `data.missing`. A first column without a name in the header is a row index, as R's
    `write.csv` writes it, and is left out.

    Args:
        path: the CSV file.
        label: the target column, by header name or by 0-based index (negative counts from
            the end; default: the last column).
        features: the feature columns by name, in this order; null takes every column but
            the label and `drop`.
        drop: columns left out (identifiers, leaks).
        categorical: "auto" treats a column as categorical when its cells are text, and
            refuses one whose cells are mostly numbers (a typo such as "1.2x"); or the list
            of categorical columns (numbers in them become category names), every other
            column then being numeric.
        header: whether the first line names the columns; "auto" treats it as a header when
            any of its cells is not a number.
        delimiter: the column separator.

    Returns:
        (x, y): pandas DataFrame of the feature columns (n rows; numeric columns float64,
        categorical ones str with NaN for a missing cell) and the label column (n,):
        integers or floats when every label is a number, else strings.

    Raises:
        DataError: an empty file, a row of another length than the header, a repeated
            column name, a text cell in a numeric column, an infinite number or a missing
            label; the message names the file, line and column.
        ConfigError: `label`, `features`, `drop` or `categorical` names no column.
    """
    frame, has_header = read_csv_table(path, header, delimiter)
    return select_columns(frame, path, label, features, drop, categorical,
                          first_line=2 if has_header else 1, by_index=not has_header)


@SOURCES.register(name="parquet")
def load_parquet(
    path: Path,
    label: str | int = -1,
    features: list[str] | None = None,
    drop: list[str] | None = None,
    categorical: Categorical = "auto",
):
    """A table from a Parquet file: one row per example.

    Args:
        path: the Parquet file.
        label, features, drop, categorical: as for the `csv` source.

    Returns:
        (x, y) as for the `csv` source; "line" in messages counts data rows from 1.

    Raises:
        DataError: the file is not Parquet, has no rows, a text cell in a numeric column, an
            infinite number or a missing label.
        ConfigError: `label`, `features`, `drop` or `categorical` names no column.
    """
    return select_columns(read_parquet_table(path), path, label, features, drop, categorical,
                          first_line=1, by_index=False)


def read_table(path):
    """Every column of a CSV (`.csv`, `.csv.gz`, any other name) or Parquet (`.parquet`,
    `.pq`) file, as the sources read them, for predictions on new rows.

    Args:
        path: Path of the file.

    Returns:
        (pandas DataFrame, one column per file column by name (a CSV without header: "0",
        "1", ...), R's unnamed row-name column left out; the `Origin` naming its rows by
        line, as the sources do).

    Raises:
        DataError: the file is missing, empty or malformed (see `load_csv`).
    """
    if Path(path).suffix in (".parquet", ".pq"):
        frame, first_line = read_parquet_table(path), 1
    else:
        frame, has_header = read_csv_table(path)
        first_line = 2 if has_header else 1
    return _without_row_names(frame), Origin(str(path), first_line)


def read_csv_table(path, header="auto", delimiter=","):
    """A CSV file's cells, typed by pyarrow (numbers, text, NaN when missing).

    Returns:
        (pandas DataFrame with the header's column names or "0", "1", ...; whether the
        file has a header line).
    """
    names, has_header = _first_line(path, delimiter, header)
    options = {
        "parse_options": pyarrow.csv.ParseOptions(delimiter=delimiter),
        "convert_options": pyarrow.csv.ConvertOptions(strings_can_be_null=True,
                                                      quoted_strings_can_be_null=True),
        "memory_pool": pyarrow.system_memory_pool(),
    }

    def read_options(block_size):
        return pyarrow.csv.ReadOptions(
            column_names=[f"column {i}" for i in range(len(names))],
            skip_rows=1 if has_header else 0, use_threads=False, block_size=block_size)

    try:
        # Small blocks, parsed one after another, keep the parser's buffers small, where a
        # whole-file read holds them for the whole file (benchmarks/RESULTS.md, "Reading a
        # table").
        batches = pyarrow.csv.open_csv(path, read_options=read_options(STREAM_BLOCK_BYTES),
                                       **options)
        table = pyarrow.Table.from_batches(list(batches), schema=batches.schema)
    except pyarrow.ArrowInvalid:
        # A streamed column keeps the type its first block suggested, so a column whose
        # text starts after it (or a row longer than a block) needs the whole file at once.
        table = _read_whole_csv(path, read_options(None), options, delimiter, len(names))
    if table.num_rows == 0:
        raise DataError(f"{path}: has a header but no data rows")
    # A conversion that frees each Arrow column once copied, with the system allocator,
    # keeps the peak near twice the table, where Arrow's own pool kept both, then more.
    table = table.rename_columns(names)
    return table.to_pandas(split_blocks=True, self_destruct=True), has_header


def _read_whole_csv(path, read_options, options, delimiter, columns):
    try:
        return pyarrow.csv.read_csv(path, read_options=read_options, **options)
    except pyarrow.ArrowInvalid as error:
        ragged = _ragged_line(path, delimiter, columns)
        if ragged:
            raise DataError(f"{path}: line {ragged[0]} has {ragged[1]} columns; expected "
                            f"{columns}") from None
        raise DataError(f"{path}: not a readable CSV table ({_first_sentence(error)})") \
            from None


def read_parquet_table(path):
    """A Parquet file's columns.

    Returns:
        pandas DataFrame.
    """
    try:
        table = pyarrow.parquet.read_table(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (pyarrow.ArrowInvalid, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file ({_first_sentence(error)})") \
            from None
    if table.num_rows == 0:
        raise DataError(f"{path}: the table has no rows")
    check_unique_names(table.column_names, str(path))
    return table.to_pandas()


def select_columns(frame, path, label, features, drop, categorical, first_line, by_index):
    """Split a raw table into typed feature columns and the label column.

    Args:
        frame: pandas DataFrame as read, one column per file column.
        path: the file, for messages.
        label, features, drop, categorical: the source options (see `load_csv`).
        first_line: the file line of the first row, for messages.
        by_index: whether the columns have no names of their own (a CSV without header).

    Returns:
        (x, y) as `load_csv` returns them.
    """
    frame = _without_row_names(frame)
    names = [str(name) for name in frame.columns]
    frame.columns = names
    label_name = names[_label_index(path, names, label, by_index)]
    for key, listed in (("data.features", features or []), ("data.drop", drop or []),
                        ("data.categorical", [] if categorical == "auto" else categorical)):
        check_listed_columns(key, listed, names, str(path))
    chosen = features or [name for name in names if name != label_name and
                          name not in (drop or [])]
    if label_name in chosen:
        raise ConfigError(f"data.features: {label_name!r} is the label column; expected "
                          "feature columns only", key="data.features")
    labels = frame[label_name]
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise DataError(f"{path}: line {first_line + row}, column {label_name!r}: the label "
                        "is missing; expected a label in every row (remove such rows)")
    x = typed_columns(frame[chosen], categorical, Origin(str(path), first_line))
    return x, _numbers_if_possible(labels.to_numpy())


def check_unique_names(names, where):
    """Refuse a table whose columns are not told apart by name.

    Args:
        names: list of str, the column names in order.
        where: the table (and line) for the message, e.g. "data.csv: line 1".

    Raises:
        DataError: a name appears more than once.
    """
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        raise DataError(f"{where}: column name {repeated[0]!r} appears "
                        f"{names.count(repeated[0])} times; expected unique column names")


def check_listed_columns(key, listed, names, table):
    """Refuse a config key that lists a column the table does not have.

    Args:
        key: the dotted key, e.g. "data.features".
        listed: list of str, the columns it names.
        names: list of str, the table's columns.
        table: the table's name for the message (a path, or "x").

    Raises:
        ConfigError: naming the first unknown column, the closest one and every column.
    """
    unknown = [name for name in listed if name not in names]
    if unknown:
        raise ConfigError(f"{key}: {table} has no column {unknown[0]!r}; "
                          f"{did_you_mean(unknown[0], names)}columns: {', '.join(names)}",
                          key=key)


def typed_columns(x, categorical, source):
    """A table's feature columns typed in place: numeric ones as float64, categorical ones
    as str with NaN for a missing cell.

    Args:
        x: pandas DataFrame of the feature columns, names as str; its columns are replaced.
        categorical: "auto" or the list of categorical columns (see `load_csv`).
        source: `snn.data.encoding.Origin` of the rows, for messages.

    Returns:
        x.

    Raises:
        DataError: a text cell in a numeric column, or an infinite number.
    """
    for name in x.columns:  # column by column, so that float64 columns are never copied
        column = x[name]
        typed = _typed_column(column, name, categorical, source)
        if typed is not column:
            x[name] = typed
    return x


def _typed_column(column, name, categorical, source):
    """A numeric column as float64, or a categorical one as str with NaN when missing."""
    listed = categorical != "auto" and name in categorical
    if listed or pd.api.types.is_bool_dtype(column) or \
            isinstance(column.dtype, pd.CategoricalDtype):
        return as_categories(column)
    if not pd.api.types.is_numeric_dtype(column):
        text = text_cells(column)
        if text.any() and (categorical != "auto" or text.sum() * 2 < column.notna().sum()):
            # Mostly numbers with some text is a typo, not a categorical column.
            row = int(np.flatnonzero(text.to_numpy())[0])
            raise DataError(f"{source.row(row)}, column {name!r}: got "
                            f"{str(column.iloc[row])!r}; expected a number")
        if text.any():
            return as_categories(column)
        column = pd.to_numeric(column)
    numbers = column if column.dtype == np.float64 else column.astype(np.float64)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise DataError(f"{source.row(row)}, column {name!r}: got "
                        f"{str(column.iloc[row])!r}; features must be finite numbers")
    return numbers


def _without_row_names(frame):
    """Leave out a first column without a name: the row names R's `write.csv` writes."""
    if len(frame.columns) > 1 and str(frame.columns[0]) == "":
        return frame.iloc[:, 1:]
    return frame


def _ragged_line(path, delimiter, columns):
    """The first line whose number of cells is not `columns`, as (line, cells), or None.
    Read again only after pyarrow refused the file: its messages name no line."""
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            if row and len(row) != columns:
                return number, len(row)
    return None


def _first_line(path, delimiter, header):
    """The column names and whether the first line is a header."""
    opener = gzip.open if Path(path).suffix == ".gz" else open
    try:
        with opener(path, "rt", newline="") as handle:
            first = next((row for row in csv.reader(handle, delimiter=delimiter) if row), None)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    if first is None:
        raise DataError(f"{path}: the file is empty; expected a CSV table")
    if header == "auto":
        header = not all(_is_number(cell) for cell in first)
    if not header:
        return [str(i) for i in range(len(first))], False
    check_unique_names(first, f"{path}: line 1")
    return first, True


def _label_index(path, names, label, by_index):
    if isinstance(label, int):
        if not -len(names) <= label < len(names):
            raise ConfigError(f"data.label: got column {label}; {path} has {len(names)} "
                              f"columns (0 to {len(names) - 1}, or negative from the end)",
                              key="data.label")
        return label % len(names)
    if by_index:
        raise ConfigError(f"data.label: got {label!r}, but {path} has no header line; "
                          "give the label column's index instead", key="data.label")
    if label not in names:
        raise ConfigError(f"data.label: {path} has no column {label!r}; "
                          f"{did_you_mean(label, names)}columns: {', '.join(names)}",
                          key="data.label")
    return names.index(label)


def _numbers_if_possible(labels):
    """Numeric label columns become numbers, so classes sort as 0, 1, 2, ..., 10."""
    try:
        values = labels.astype(np.float64)
    except (ValueError, TypeError):
        return labels.astype(str)
    return values.astype(np.int64) if np.all(values == np.round(values)) else values


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_sentence(error):
    return str(error).split("\n")[0]

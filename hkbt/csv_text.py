"""The bytes ``DataFrame.to_csv`` writes, made a whole column at a time.

pandas hands every field of every row to the ``csv`` module and formats a
column with ``float_format`` value by value in Python: the run folder's
news.csv (20,000 rows) and prices.csv (11,000 rows of five prices) took most of
the 0.2 s a run spends writing its folder. :func:`csv_bytes` turns each column
into its text in one vectorised step (the formatting pandas applies, quoting
like the ``csv`` module's ``QUOTE_MINIMAL``) and joins the fields of every row
and the lines in Arrow's compiled kernels, straight into UTF-8. The
bytes are the ones ``to_csv`` writes (tested on random frames); a column of a
kind it does not know (lists, categories, mixed objects, times with clocks and
no ``date_format``...) makes it hand the whole frame to pandas instead.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LINE_END = os.linesep  # what to_csv ends lines with
TEXT = pa.large_string()  # pandas' own string columns hold Arrow large strings


def _quote_triggers() -> str:
    """The characters that make the ``csv`` module quote a field (asked once: it changed between Python versions)."""
    found = ""
    for char in ',"\n\r':
        out = io.StringIO()
        csv.writer(out, lineterminator=LINE_END).writerow([f"a{char}b", "x"])
        found += char if out.getvalue().startswith('"') else ""
    return found




def csv_bytes(frame: pd.DataFrame, *, index: bool = False, date_format: str | None = None,
              float_format: str | None = None) -> bytes:
    """``frame.to_csv(index=index, date_format=date_format, float_format=float_format)`` in UTF-8: the same bytes, faster."""
    columns = ([frame.index.to_series()] if index else []) + [frame.iloc[:, i] for i in range(frame.shape[1])]
    names = ([frame.index.name] if index else []) + list(frame.columns)
    texts = [_column_text(column, date_format, float_format) for column in columns]
    if len(texts) < 2 or any(text is None for text in texts) or not all(isinstance(n, str) or n is None for n in names):
        return frame.to_csv(index=index, date_format=date_format, float_format=float_format, lineterminator=LINE_END).encode()
    header = _quoted(pa.array(["" if n is None else n for n in names], TEXT)).to_pylist()
    head = (",".join(header) + LINE_END).encode()
    if not len(frame):
        return head
    rows = pc.binary_join_element_wise(pc.binary_join_element_wise(*texts, _text(",")), _text(LINE_END), _text(""))
    everything = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows)  # one list of every line
    return head + pc.binary_join(everything, _text(""))[0].as_buffer().to_pybytes()


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, TEXT)


def _column_text(column: pd.Series, date_format: str | None, float_format: str | None) -> pa.Array | None:
    """One column's fields as ``to_csv`` writes them, or None for a kind this module leaves to pandas."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        data = pa.array(column.array)  # the column's own Arrow data, not copied
        data = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data  # a concatenated frame's column
        return _quoted(data.cast(TEXT).fill_null(""))
    values = column.to_numpy()
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # numpy booleans and integers (never missing)
        return pa.array(values.astype(str), TEXT)
    if dtype == np.float64:
        missing = np.isnan(values)
        if float_format is not None:
            return pa.array(["" if gap else float_format % value for value, gap in zip(values.tolist(), missing.tolist())], TEXT)
        text = values.astype(str)
        text[missing] = ""
        return pa.array(text, TEXT)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        clock = pd.DatetimeIndex(values)
        if date_format is None and not (clock.isna() | (clock == clock.normalize())).all():
            return None  # pandas writes clock times with its own precision rules
        if date_format in (None, "%Y-%m-%d"):
            text = np.datetime_as_string(values, unit="D").astype(object)
        else:
            text = clock.strftime(date_format).to_numpy(dtype=object)
        text[np.isnat(values)] = ""
        return pa.array(text, TEXT)
    if isinstance(dtype, pd.StringDtype) or dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return _quoted(pa.array(values, TEXT, from_pandas=True).fill_null(""))
    return None


_QUOTE_CLASS = "[" + "".join({"\n": "\\n", "\r": "\\r"}.get(char, char) for char in _quote_triggers()) + "]"


def _quoted(text: pa.Array) -> pa.Array:
    """Text fields quoted like ``csv.QUOTE_MINIMAL``, in Arrow's compiled kernels (not once per value in Python)."""
    needs = pc.match_substring_regex(text, _QUOTE_CLASS)
    if not pc.any(needs).as_py():
        return text
    mark, none = _text('"'), _text("")
    quoted = pc.binary_join_element_wise(mark, pc.replace_substring(text, '"', '""'), mark, none)
    return pc.if_else(needs, quoted, text)

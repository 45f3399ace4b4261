"""Beyond one machine: the one batch pipeline with its score step on a Dask cluster.

Each partition of a Parquet file or dataset goes through the same ``prepare`` and
``score_table`` as the pandas path (``map_partitions``): the same rows are scored and rejected,
with the same reasons (tested). Checks that look at the whole file (duplicate credit codes) and
the file row numbers in messages are found over the whole dataset first. Run locally (a
``LocalCluster`` with N single-threaded workers) or against a scheduler address (a province's
cluster); the output is a Parquet dataset with one file per partition. See docs/scale.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from batch.headers import map_header
from batch.readers import Table, without_template_rows
from batch.run import credit_codes, duplicate_codes, prepare, score_table
from scoring.options import Options


def _table(part: pd.DataFrame, offset: int) -> Table:
    """A partition as the reader's Table: rows numbered from the file's first data row."""
    part = part.reset_index(drop=True)
    part.index = pd.RangeIndex(offset, offset + len(part))
    return without_template_rows(Table(part, [map_header(c) for c in part.columns], -1, "parquet"))


def _score_partition(
    part: pd.DataFrame,
    options: Options,
    offsets: list[int],
    duplicates: dict[str, str],
    partition_info=None,
) -> pd.DataFrame:
    offset = offsets[partition_info["number"]] if partition_info else 0
    table = _table(part, offset)
    results, _, _ = score_table(
        table, options, prepared=prepare(table, duplicates), with_gaps=False
    )
    # plain strings: partitions must share one schema whatever categories each one saw
    for col in results.columns:
        if isinstance(results[col].dtype, pd.CategoricalDtype) or col in (
            "row_errors",
            "readiness_model",
        ):
            results[col] = results[col].astype(str)
    return results.reset_index(drop=True)


def _whole_file_checks(ddf) -> tuple[list[int], dict[str, str]]:
    """Each partition's first row in the file, and the duplicate credit codes of the file."""
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
    code_col = next((c for c in ddf.columns if map_header(c).field == "credit_code"), None)
    if code_col is None:
        return offsets, {}
    # prepare() on the whole code column (and name: template rows are left out) finds the duplicates
    # exactly as the pandas path does, without the rest of the file in memory
    keep = [c for c in ddf.columns if map_header(c).field in ("credit_code", "name")]
    whole = _table(ddf[keep].compute(), 0)
    canonical, _, reasons, _ = prepare(whole, {})
    return offsets, duplicate_codes(
        credit_codes(canonical["credit_code"], reasons), whole.sheet_rows()
    )


def run_dask(
    source: Path,
    output: Path,
    options: Options | None = None,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    partition_rows: int = 200_000,
) -> int:
    """Score a Parquet file or dataset with Dask; returns the number of rows written."""
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    options = options or Options()
    ddf = dd.read_parquet(str(source))
    if ddf.npartitions == 1:
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(source).metadata.num_rows if Path(source).is_file() else 0
        if rows > partition_rows:
            ddf = ddf.repartition(npartitions=-(-rows // partition_rows))
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        offsets, duplicates = _whole_file_checks(ddf)
        sample = _score_partition(ddf._meta, options, [0], {})
        scored = ddf.map_partitions(
            _score_partition, options, offsets, duplicates, meta=sample, align_dataframes=False
        )
        scored.to_parquet(str(output), write_index=False, overwrite=True)
        return int(dd.read_parquet(str(output), columns=["row_status"]).shape[0].compute())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

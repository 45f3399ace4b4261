"""Beyond one machine: the same ``assess_frame`` on a Dask DataFrame over partitioned Parquet.

Each partition is scored by ``scoring.assess_frame`` (``map_partitions``), so results are
identical to the pandas path. Run locally (a ``LocalCluster`` with N single-threaded workers)
or against a scheduler address (a province's cluster); the output is a Parquet dataset with
one file per partition. See docs/scale.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from batch.headers import map_header
from scoring import OUTPUT_COLUMNS, assess_frame


def _score_partition(part: pd.DataFrame, scale: dict, as_of, mode: str) -> pd.DataFrame:
    result = assess_frame(part, as_of=as_of, mode=mode, scale=scale)
    # plain strings: partitions must share one schema whatever categories each one saw
    for col in OUTPUT_COLUMNS:
        if isinstance(result[col].dtype, pd.CategoricalDtype):
            result[col] = result[col].astype(str)
    for col in ("row_errors", "readiness_model"):
        if col in result:
            result[col] = result[col].astype(str)
    return result


def run_dask(
    source: Path,
    output: Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    as_of: dt.date | None = None,
    mode: str = "new",
    partition_rows: int = 200_000,
) -> int:
    """Score a Parquet file or dataset with Dask; returns the number of rows written."""
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    ddf = dd.read_parquet(str(source))
    if ddf.npartitions == 1:
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(source).metadata.num_rows if Path(source).is_file() else 0
        if rows > partition_rows:
            ddf = ddf.repartition(npartitions=-(-rows // partition_rows))
    columns = [map_header(c) for c in ddf.columns]
    ddf = ddf.rename(columns={c.header: c.field for c in columns if c.field})
    scale = {c.field: c.scale for c in columns if c.field and c.scale != 1.0}
    sample = _score_partition(ddf._meta, scale, as_of, mode)
    scored = ddf.map_partitions(_score_partition, scale, as_of, mode, meta=sample)
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        scored.to_parquet(str(output), write_index=False, overwrite=True)
        return int(dd.read_parquet(str(output), columns=["row_status"]).shape[0].compute())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

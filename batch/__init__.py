"""Spreadsheet batch: read the files people have, score every row, write a workbook back.

batch.run(path, output)     score a file into .xlsx (results, rejected, gaps, summary) or .csv
batch.read_tables(path)     the file's data rows with their header mapping
batch.write_template(path)  the input template with notes, dropdowns and an example row
"""

from batch.readers import BatchError, Limits, read_tables
from batch.run import Summary, run
from batch.template import write_template

__all__ = ["BatchError", "Limits", "Summary", "read_tables", "run", "write_template"]

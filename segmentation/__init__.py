"""Customer segmentation on top of :mod:`kmeans_core`.

A thin layer: it reads and checks a customer table, shapes the features, asks
``kmeans_core`` for the number of segments and the clustering, and presents the
answer in business terms (named segments, a profile table, plots, a report).

Public API
----------
load_customers
    Read a CSV/Parquet file or a DataFrame and recognise the classic columns.
segment_customers
    The whole analysis: features, k (a number or "auto"), K-Means, names, profile.
segment_rfm, rfm_table
    Recency, frequency and monetary value per customer from a transactions table,
    segmented with RFM names and actions.
SegmentationResult, Segment, KSelection
    What ``segment_customers`` returns.
SegmentModel
    Assigns new customers; saved to and read from JSON.
compare_hierarchical
    Ward's hierarchical clustering on the same data, side by side with K-Means.
write_report, write_model, read_model
    Files: the report folder (HTML, Markdown, CSV, PNG, JSON) and the model.
datasets
    ``make_customers``: a synthetic table with the classic schema and five groups;
    ``make_wide_customers`` (many skewed columns, a category, a date, outliers) and
    ``make_transactions`` (purchases, for RFM).
SegmentationError, DataQualityWarning
    What bad input raises (a ``ValueError``) or warns.
"""

from segmentation import datasets
from segmentation._errors import DataQualityWarning, SegmentationError
from segmentation.analysis import KSelection, Segment, SegmentationResult, segment_customers
from segmentation.compare import HierarchyComparison, compare_hierarchical
from segmentation.data import CustomerTable, load_customers
from segmentation.export import read_model, write_model, write_report
from segmentation.model import SegmentModel
from segmentation.rfm import rfm_table, segment_rfm

__all__ = [
    "CustomerTable",
    "DataQualityWarning",
    "HierarchyComparison",
    "KSelection",
    "Segment",
    "SegmentModel",
    "SegmentationError",
    "SegmentationResult",
    "compare_hierarchical",
    "datasets",
    "load_customers",
    "read_model",
    "rfm_table",
    "segment_customers",
    "segment_rfm",
    "write_model",
    "write_report",
]

"""A fitted segmentation that can assign new customers, and its JSON form.

The model holds everything needed to place a new customer without refitting:
the features (with the gender categories seen), the scaler, the centroids in
scaled units, and each segment's number, name, description and action. The
JSON form stores the centroids in original units too, for people reading it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation._errors import SegmentationError
from segmentation._model_file import MODEL_FORMAT, parse_model_bytes, seal, validate_description
from segmentation.features import Feature, Scaler, encode_for_model

__all__ = ["SegmentModel", "MODEL_FORMAT", "SEGMENT_COLUMN", "SEGMENT_NAME_COLUMN"]

#: Columns added to a customer table.
SEGMENT_COLUMN = "Segment"
SEGMENT_NAME_COLUMN = "Segment Name"


@dataclass(frozen=True)
class SegmentModel:
    """Segments learned from one customer table, ready to assign new customers.

    Attributes
    ----------
    features : list of Feature
    scaler : Scaler
    centers : numpy.ndarray, shape (n_segments, n_feature_columns)
        Segment centroids in scaled units, in segment order (row 0 is segment 1).
    names, descriptions, actions : list of str
        Per segment, in segment order. ``names`` are the names shown, the
        user's own when segments were renamed (``labels=``, ``--labels``).
    generated_names : list of str, optional
        The names the naming rule gave, kept when the user renamed segments.
    means : numpy.ndarray, optional
        Segment means in original units (the members' plain means, the numbers
        the report shows), shape (n_segments, n_feature_columns). They differ
        from :attr:`centers_original` for log-scaled columns, where the
        K-Means centre maps back to a geometric-style mean.
    """

    features: list[Feature]
    scaler: Scaler
    centers: np.ndarray
    names: list[str]
    descriptions: list[str]
    actions: list[str]
    generated_names: list[str] | None = None
    means: np.ndarray | None = None

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return len(self.names)

    @property
    def segment_numbers(self) -> np.ndarray:
        """Segment numbers, 1 to ``n_segments``."""
        return np.arange(1, self.n_segments + 1)

    @property
    def feature_columns(self) -> list[str]:
        """Encoded feature columns, in matrix order."""
        return [name for feature in self.features for name in feature.encoded_columns]

    @property
    def centers_original(self) -> pd.DataFrame:
        """Centroids in original units, one row per segment number."""
        return pd.DataFrame(
            self.scaler.inverse_transform(self.centers),
            index=pd.Index(self.segment_numbers, name=SEGMENT_COLUMN),
            columns=self.feature_columns,
        )

    def predict(self, customers: pd.DataFrame) -> np.ndarray:
        """Segment number (1-based) of each new customer: the nearest centroid.

        Parameters
        ----------
        customers : pandas.DataFrame
            Must contain the model's feature columns, numeric and complete.

        Returns
        -------
        numpy.ndarray of int
        """
        if not isinstance(customers, pd.DataFrame):
            raise SegmentationError(
                f"customers must be a pandas DataFrame, not {type(customers).__name__}"
            )
        if len(customers) == 0:
            raise SegmentationError("the new customer table has no rows")
        scaled = self.scaler.transform(encode_for_model(customers, self.features))
        return _nearest_center(self.centers, scaled) + 1

    def assign(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``customers`` with segment number and name columns added.

        Examples
        --------
        >>> from segmentation import datasets, segment_customers
        >>> model = segment_customers(datasets.make_customers(200), k=5).model
        >>> new = datasets.make_customers(3, random_state=7)
        >>> list(model.assign(new).columns[-2:])
        ['Segment', 'Segment Name']
        """
        numbers = self.predict(customers)
        assigned = customers.copy()
        assigned[SEGMENT_COLUMN] = numbers
        assigned[SEGMENT_NAME_COLUMN] = [self.names[n - 1] for n in numbers]
        return assigned

    def to_dict(self) -> dict:
        """A JSON-ready description (see :data:`MODEL_FORMAT`)."""
        original = self.centers_original
        generated = self.generated_names or list(self.names)
        description = {
            "format": MODEL_FORMAT,
            "features": [feature.to_dict() for feature in self.features],
            "feature_columns": self.feature_columns,
            "scaler": self.scaler.to_dict(),
            "segments": [
                {
                    "number": int(number),
                    "name": name,
                    "description": description,
                    "action": action,
                    "center_scaled": self.centers[number - 1].tolist(),
                    "center_original": original.loc[number].tolist(),
                    "generated_name": generated_name,
                    **(
                        {}
                        if self.means is None
                        else {"mean_original": [float(v) for v in self.means[number - 1]]}
                    ),
                }
                for number, name, description, action, generated_name in zip(
                    self.segment_numbers, self.names, self.descriptions, self.actions, generated
                )
            ],
        }
        return description

    def to_json(self) -> str:
        """The model as JSON text, with a checksum of its content.

        See :mod:`segmentation._model_file` for the checks made when it is read.
        """
        return seal(self.to_dict())

    @classmethod
    def from_dict(cls, description: dict, *, source: str = "<model description>") -> SegmentModel:
        """Rebuild a model from :meth:`to_dict` output.

        The description is checked against the model file schema first; a
        ``checksum`` field, if present, is not verified here (see :meth:`from_json`).

        Raises
        ------
        SegmentationError
            When the description is not a model of this format, naming the field at fault.
        """
        validate_description(description, source=source)
        segments = sorted(description["segments"], key=lambda s: s["number"])
        return cls(
            features=[Feature.from_dict(f) for f in description["features"]],
            scaler=Scaler.from_dict(description["scaler"]),
            centers=np.array([s["center_scaled"] for s in segments], dtype=np.float64),
            names=[s["name"] for s in segments],
            descriptions=[s["description"] for s in segments],
            actions=[s["action"] for s in segments],
            generated_names=[s.get("generated_name", s["name"]) for s in segments],
            means=(
                np.array([s["mean_original"] for s in segments], dtype=np.float64)
                if all("mean_original" in s for s in segments)
                else None
            ),
        )

    @classmethod
    def from_json(
        cls, text: str | bytes, *, source: str = "<model text>", verify_checksum: bool = True
    ) -> SegmentModel:
        """Rebuild a model from :meth:`to_json` text.

        Size, nesting depth, schema and (unless ``verify_checksum=False``) the
        checksum are checked before anything is built.

        Raises
        ------
        SegmentationError
            When the text is not an unedited model file, naming the field at fault.
        """
        if isinstance(text, str):
            try:
                text = text.encode("utf-8")
            except UnicodeEncodeError:
                raise SegmentationError(
                    f"model file {source!r} contains an unpaired surrogate (not a character)"
                ) from None
        description = parse_model_bytes(text, source, verify_checksum=verify_checksum)
        return cls.from_dict(description, source=source)


def _nearest_center(centers: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """0-based index of the nearest center for each row.

    K-Means' assignment step (:func:`kmeans_core.assign_to_centers`, with its tie rule).
    """
    from kmeans_core import assign_to_centers

    labels = assign_to_centers(
        np.asarray(scaled, dtype=np.float64), np.asarray(centers, dtype=np.float64)
    )
    return np.asarray(labels, dtype=np.int64)

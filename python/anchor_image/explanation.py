# SPDX-License-Identifier: Apache-2.0
"""alibi's Explanation: meta and data dicts, their keys also readable as attributes.

The layout (meta: name, type, explanations, params, version; data: anchor, segments,
precision, coverage, raw) and the JSON form (numpy scalars and arrays as plain numbers and
lists) are alibi 0.9's, so code written against alibi reads ours unchanged. Ours adds
`status` ("FOUND", "BELOW_THRESHOLD" or "EMPTY_ANCHOR") and `stats` (predictor calls,
images, seconds), kept beside meta and data rather than inside them.
"""
import json
import warnings
from collections import ChainMap

import numpy as np


class _NumpyEncoder(json.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return float(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return np.dtype(obj).name  # the explainer's dtype in meta.params
        return json.JSONEncoder.default(self, obj)


class Explanation:
    """What AnchorImage.explain returns (alibi's alibi.api.interfaces.Explanation)."""

    def __init__(self, meta, data, status=None, stats=None):
        self.meta = meta
        self.data = data
        self.status = status
        self.stats = stats
        # as alibi: every key of meta and data is an attribute, meta's first
        for key, value in ChainMap(self.meta, self.data).items():
            setattr(self, key, value)

    def to_json(self):
        d = {"meta": self.meta, "data": self.data}
        if self.status is not None:
            d["status"] = self.status
        if self.stats is not None:
            d["stats"] = self.stats
        return json.dumps(d, cls=_NumpyEncoder)

    @classmethod
    def from_json(cls, jsonrepr):
        d = json.loads(jsonrepr)
        if "meta" not in d or "data" not in d:
            raise ValueError("not an explanation: the JSON needs 'meta' and 'data' keys")
        return cls(meta=d["meta"], data=d["data"], status=d.get("status"), stats=d.get("stats"))

    def __getitem__(self, item):
        warnings.warn("The Explanation object is not a dictionary anymore and accessing elements should "
                      "be done via attribute access. Accessing via item will stop working in a future "
                      "version.", DeprecationWarning, stacklevel=2)
        return getattr(self, item)

    def __eq__(self, other):
        return isinstance(other, Explanation) and self.to_json() == other.to_json()

    def __repr__(self):
        return (f"Explanation(status={self.status!r}, anchor features={self.data['raw']['feature']}, "
                f"precision={self.data['precision']!r}, coverage={self.data['coverage']!r})")

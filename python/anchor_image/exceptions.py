# SPDX-License-Identifier: Apache-2.0
"""alibi's exception names for the constructor's predictor probe, so `except` clauses
written for alibi (alibi.exceptions) keep working."""


class AnchorImageException(Exception):
    """Base of this package's own exceptions."""


class PredictorCallError(AnchorImageException):
    """The predictor failed on the constructor's probe batch."""


class PredictorReturnTypeError(AnchorImageException):
    """The predictor returned something other than a numpy array."""

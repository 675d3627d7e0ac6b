# SPDX-License-Identifier: Apache-2.0
"""anchor_image: alibi's AnchorImage on libanchor (Apache-2.0), same names, same answers.

    from anchor_image import AnchorImage      # instead of: from alibi.explainers import AnchorImage
"""
from ._lib import LibraryError, version as library_version
from .exceptions import PredictorCallError, PredictorReturnTypeError
from .explainer import AnchorImage, scale_image
from .explanation import Explanation
from .model import OnnxModel, explain, load_image

__version__ = "0.1.0"
__all__ = ["AnchorImage", "Explanation", "OnnxModel", "explain", "load_image", "scale_image",
           "LibraryError", "PredictorCallError", "PredictorReturnTypeError", "library_version"]

"""The networks: encoders, decoders, the classifier head and two-code encoders.

Every network takes and returns *flat* rows (n × features); image networks
reshape inside. Built-in networks describe themselves with ``config()``
(:mod:`.describe`), so a saved model is rebuilt from JSON
(:func:`.factory.build_network`) without pickling any code.
"""

from .augment import Augmented, GaussianNoise, ImageJitter
from .classifier import ClassifierHead
from .conv import ConvDecoder, ConvEncoder, PCAConvDecoder, PCAConvEncoder
from .mlp import MLPDecoder, MLPEncoder
from .projection import InputProjection, ProjectedDecoder, ProjectedEncoder
from .two_code import CodeMapEncoder

__all__ = [
    "Augmented", "ClassifierHead", "CodeMapEncoder", "ConvDecoder", "ConvEncoder",
    "GaussianNoise", "ImageJitter", "InputProjection", "MLPDecoder", "MLPEncoder",
    "PCAConvDecoder", "PCAConvEncoder", "ProjectedDecoder", "ProjectedEncoder",
]

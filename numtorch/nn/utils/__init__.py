"""numtorch.nn.utils: gradient clipping and parameter/vector conversion."""
from .clip_grad import *
from .convert_parameters import *
from .weight_norm import remove_weight_norm, weight_norm
from .spectral_norm import remove_spectral_norm, spectral_norm
from . import parametrize, parametrizations, rnn

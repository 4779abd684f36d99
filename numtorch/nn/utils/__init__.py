"""numtorch.nn.utils: gradient clipping and parameter/vector conversion."""
from .clip_grad import *
from .convert_parameters import *
from .weight_norm import *
from .spectral_norm import *
from . import parametrize, parametrizations, rnn

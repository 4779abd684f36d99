"""numtorch.nn.functional: the functional forms of layers, activations and losses."""
from .activation import *
from .dropout import *
from .linear import *
from .loss import *
from .normalization import *
from .padding import *
from .batchnorm import *
from .conv import *
from .pooling import *
from .upsampling import *
from .attention import *
from .rnn import *
from .fold import *

"""Module classes, one family per file (names as in torch.nn.modules)."""
from .module import *
from .container import *
from .linear import *
from .flatten import *
from .sparse import *
from .dropout import *
from .activation import *
from .distance import *
from .channelshuffle import *
from .loss import *
from .lazy import *
from .normalization import *
from .batchnorm import *
from .instancenorm import *
from .padding import *
from .pixelshuffle import *
from .conv import *
from .fold import *
from .pooling import *
from .upsampling import *
from .rnn import *
from .attention import *
from .transformer import *

# the helper module stays importable as nn.modules.utils, but must not shadow the nn.utils package
# when nn/__init__ star-imports this package
del utils  # noqa: F821

"""numtorch.optim: optimizers and learning-rate schedulers, with torch's state_dict layout."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler

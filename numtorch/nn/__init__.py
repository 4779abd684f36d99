"""numtorch.nn: modules, parameters, functional forms, initialisation and utilities."""
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from .modules import *
from . import functional, init, utils

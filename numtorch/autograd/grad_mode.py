"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each works as a context manager and as a decorator, as in torch.  The flag lives in a
one-element list so the hot path of every op reads it with a single index.  (torch keeps
it per thread; numtorch keeps one flag per process.)
"""
from __future__ import annotations

import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]

GRAD = [True]
_INFERENCE = [False]


def is_grad_enabled() -> bool:
    """True when operations record a graph for autograd."""
    return GRAD[0]


def is_inference_mode_enabled() -> bool:
    return _INFERENCE[0]


class _DecoratorContextManager:
    """Lets a context manager decorate a function (or generator) too, torch-style."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError("Decorating classes is not supported")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        with self.clone():
                            response = gen.send(request)
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Disable graph recording inside the block (``with torch.no_grad():`` / ``@torch.no_grad()``)."""

    def __new__(cls, orig_func=None):
        if cls is no_grad and orig_func is not None and callable(orig_func):
            # ``@torch.no_grad`` without parentheses
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = GRAD[0]
        GRAD[0] = False

    def __exit__(self, *exc) -> None:
        GRAD[0] = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable graph recording inside the block, even within ``no_grad``."""

    def __new__(cls, orig_func=None):
        if cls is enable_grad and orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = GRAD[0]
        GRAD[0] = True

    def __exit__(self, *exc) -> None:
        GRAD[0] = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set recording on or off.  Like torch, it takes effect at construction, so it also
    works as a plain function call: ``torch.set_grad_enabled(False)``."""

    def __init__(self, mode: bool) -> None:
        self.prev = GRAD[0]
        self.mode = bool(mode)
        GRAD[0] = self.mode

    def __call__(self, func):
        GRAD[0] = self.prev
        return super().__call__(func)

    def __enter__(self) -> None:
        GRAD[0] = self.mode

    def __exit__(self, *exc) -> None:
        GRAD[0] = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad`` (numtorch has no separate inference tensors); ``mode=False`` is a no-op."""

    def __new__(cls, mode=True):
        if cls is inference_mode and callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.prev = False
        self.prev_inf = False

    def __enter__(self) -> None:
        self.prev, self.prev_inf = GRAD[0], _INFERENCE[0]
        if self.mode:
            GRAD[0] = False
            _INFERENCE[0] = True

    def __exit__(self, *exc) -> None:
        GRAD[0], _INFERENCE[0] = self.prev, self.prev_inf

    def clone(self):
        return self.__class__(self.mode)

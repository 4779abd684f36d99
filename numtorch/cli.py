"""Command line entry point: ``numtorch <command>`` (also ``python -m numtorch <command>``).

Commands:
  demo   train a small MLP on a generated spiral data set and report loss and accuracy
"""
from __future__ import annotations

import argparse
import sys


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="numtorch",
        description="numtorch: PyTorch's tensor and autograd API on NumPy.")
    parser.add_argument("--version", action="version", version=f"numtorch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="train a small MLP on a generated spiral data set",
        description="Train a 2-layer MLP, written with numtorch tensors and autograd, on a 2-D spiral "
                    "classification set; print the loss of each epoch and the final accuracy.")
    demo.add_argument("--epochs", type=_positive_int, default=30, metavar="N",
                      help="number of passes over the training set (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, metavar="S",
                      help="seed for the data set, the initial weights and the shuffling (default: %(default)s)")
    demo.add_argument("--out", default=None, metavar="DIR",
                      help="if given, write metrics.json and params.npz into DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run
        run(epochs=args.epochs, seed=args.seed, out=args.out)
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

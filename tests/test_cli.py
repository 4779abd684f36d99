"""The command line: ``python -m numtorch demo`` trains and its loss falls; ``--help`` works."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_numtorch(*args, timeout=120):
    env = dict(os.environ)
    # run the checkout's numtorch whether or not it is installed
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "numtorch", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_demo_trains_and_loss_decreases():
    proc = run_numtorch("demo", "--epochs", "2", "--seed", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    losses = [float(v) for v in re.findall(r"^epoch\s+\d+/\d+\s+loss\s+([0-9.]+)", proc.stdout, re.MULTILINE)]
    assert len(losses) == 2, proc.stdout
    assert losses[1] < losses[0], proc.stdout
    acc = re.search(r"final accuracy:\s+([0-9.]+)", proc.stdout)
    assert acc is not None, proc.stdout
    assert 0.0 <= float(acc.group(1)) <= 1.0


def test_demo_is_deterministic_and_writes_outputs(tmp_path):
    out = tmp_path / "run"
    first = run_numtorch("demo", "--epochs", "1", "--seed", "3", "--out", str(out))
    second = run_numtorch("demo", "--epochs", "1", "--seed", "3")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    loss = re.compile(r"^epoch.*$", re.MULTILINE)
    assert loss.findall(first.stdout) == loss.findall(second.stdout)
    assert (out / "metrics.json").is_file() and (out / "params.npz").is_file()


def test_help_lists_options():
    proc = run_numtorch("--help")
    assert proc.returncode == 0 and "demo" in proc.stdout
    proc = run_numtorch("demo", "--help")
    assert proc.returncode == 0, proc.stderr
    for opt in ("--epochs", "--seed", "--out"):
        assert opt in proc.stdout


def test_bad_arguments_fail():
    proc = run_numtorch("demo", "--epochs", "zero")
    assert proc.returncode == 2
    assert "--epochs" in proc.stderr

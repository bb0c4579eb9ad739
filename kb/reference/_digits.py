"""Shared pieces of the image implementations: the digits data, a small CNN, training, PGD."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from kb.reference.base import ReferenceInputError

# One thread: results repeat across machines, and tiny models gain nothing from more.
THREADS = 1


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and fix torch to one deterministic CPU thread."""
    torch.set_num_threads(THREADS)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class Split:
    x: torch.Tensor  # (n, 1, 8, 8), pixels in [0, 1]
    y: torch.Tensor  # (n,) int64 labels 0-9


def load_digits_splits(seed: int, sizes: tuple[int, ...] = (1197, 600)) -> list[Split]:
    """scikit-learn's 1,797 8x8 digits scaled to [0, 1], shuffled by seed and cut into `sizes`."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    if sum(sizes) > len(y):
        raise ReferenceInputError(f"split sizes {sizes} exceed the {len(y)} digits")
    out, start = [], 0
    for size in sizes:
        idx = order[start : start + size]
        out.append(Split(x[idx], y[idx]))
        start += size
    return out


class SmallCNN(nn.Module):
    """Two 3x3 conv layers and two dense layers (about 40k parameters)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc1 = nn.Linear(2 * width * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """The output of the last convolutional block, flattened (used by spectral signatures)."""
        h = F.relu(self.conv1(x))
        return F.max_pool2d(F.relu(self.conv2(h)), 2).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(self.conv_features(x))))


def train(
    model: nn.Module,
    data: Split,
    epochs: int = 30,
    lr: float = 3e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    seed: int = 0,
    perturb=None,
) -> nn.Module:
    """Train with Adam; `perturb(model, x, y)` replaces each batch (adversarial training)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    n = len(data.y)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            x, y = data.x[idx], data.y[idx]
            if perturb is not None:
                model.eval()
                x = perturb(model, x, y)
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    model.eval()
    return model


def trained_cnn(data: Split, seed: int, epochs: int = 30) -> SmallCNN:
    """A SmallCNN trained on `data` from a seeded initialisation."""
    torch.manual_seed(seed)
    model = SmallCNN()
    train(model, data, epochs=epochs, seed=seed)
    return model


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict(model, x) == y).float().mean())


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """One signed-gradient step of size eps that increases the loss, clipped to valid pixels."""
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    alpha: float | None = None,
    steps: int = 20,
    random_start: bool = True,
    loss_fn=None,
) -> torch.Tensor:
    """Projected gradient ascent on the loss inside the L-infinity ball of radius eps."""
    alpha = alpha if alpha is not None else 2.5 * eps / steps
    loss_fn = loss_fn or (lambda logits, target: F.cross_entropy(logits, target))
    x_adv = x.clone()
    if random_start:
        x_adv = (x_adv + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = loss_fn(model(x_adv), y)
        (grad,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


def attack_in_batches(attack, model, x, y, batch_size: int = 256, **kw) -> torch.Tensor:
    return torch.cat(
        [
            attack(model, x[i : i + batch_size], y[i : i + batch_size], **kw)
            for i in range(0, len(x), batch_size)
        ]
    )


def evasion_metrics(model: nn.Module, test: Split, x_adv: torch.Tensor) -> dict[str, float | int]:
    """What an evasion attack did: clean vs adversarial accuracy and the largest perturbation."""
    clean = accuracy(model, test.x, test.y)
    adv = accuracy(model, x_adv, test.y)
    return {
        "clean_accuracy": clean,
        "adversarial_accuracy": adv,
        "accuracy_drop": clean - adv,
        "max_perturbation": float((x_adv - test.x).abs().max()),
        "n_test": len(test.y),
    }

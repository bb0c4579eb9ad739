"""Sponge (energy-latency) attack on an early-exit network: keep inputs from exiting early."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="sponge-early-exit",
    title="Energy-latency (sponge) attack on an early-exit network",
    description=(
        "An early-exit network stops computing as soon as an intermediate classifier is "
        "confident, which saves compute on easy inputs. A white-box attacker perturbs inputs "
        "within a small L-infinity budget so that every early exit sees a near-uniform "
        "prediction (in the manner of DeepSloth and SAME), forcing the input through the whole "
        "network and raising compute per input."
    ),
    module=__name__,
    concept_ids=("llm.energy-latency-attacks.white-box.gradient-based",),
    method_ids=("llm-same",),
    paper_ids=("chen2023dynamic",),
    params=(
        Param("eps", 0.1, "L-infinity budget per pixel (pixels are in [0, 1])"),
        Param("threshold", 0.9, "an exit answers when its top softmax probability reaches this"),
        Param("steps", 30, "PGD steps of the attack"),
        Param("epochs", 30, "training epochs of the early-exit network"),
    ),
    shows=("mean compute (multiply-accumulates) per input rises >= 1.5x under attack"),
    setup="3-exit CNN on scikit-learn's 8x8 digits (an image classifier standing in for an LLM)",
)


def build_network():
    """A three-block CNN with a classifier after each block, and each block's cost in MACs."""
    import torch.nn.functional as F
    from torch import nn

    class EarlyExitCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.b1 = nn.Conv2d(1, 8, 3, padding=1)  # 8x8 -> pooled 4x4
            self.b2 = nn.Conv2d(8, 32, 3, padding=1)  # 4x4 -> pooled 2x2
            self.b3 = nn.Conv2d(32, 64, 3, padding=1)  # 2x2
            self.h1 = nn.Linear(8 * 16, 10)
            self.h2 = nn.Linear(32 * 4, 10)
            self.h3 = nn.Linear(64 * 4, 10)

        def forward(self, x):
            """Logits of all three exits (training and attack look at all of them)."""
            a = F.max_pool2d(F.relu(self.b1(x)), 2)
            b = F.max_pool2d(F.relu(self.b2(a)), 2)
            c = F.relu(self.b3(b))
            return [self.h1(a.flatten(1)), self.h2(b.flatten(1)), self.h3(c.flatten(1))]

    # multiply-accumulates of each block plus its exit head, counted by hand from the shapes
    costs = [
        64 * 8 * 1 * 9 + 128 * 10,
        16 * 32 * 8 * 9 + 128 * 10,
        4 * 64 * 32 * 9 + 256 * 10,
    ]
    return EarlyExitCNN(), costs


def exits_taken(model, x, threshold: float):
    """Index of the exit each input leaves by: the first whose confidence reaches the threshold."""
    import torch

    with torch.no_grad():
        confident = torch.stack(
            [torch.softmax(z, 1).max(1).values >= threshold for z in model(x)], 1
        )
    confident[:, -1] = True
    return confident.float().argmax(1), model(x)


def evaluate(model, costs, x, y, threshold: float) -> dict:
    import torch

    exit_idx, logits = exits_taken(model, x, threshold)
    cumulative = torch.tensor(costs, dtype=torch.float32).cumsum(0)
    pred = torch.stack([z.argmax(1) for z in logits], 1).gather(1, exit_idx[:, None]).squeeze(1)
    return {
        "mean_macs": float(cumulative[exit_idx].mean()),
        "exit_shares": [round(float((exit_idx == i).float().mean()), 4) for i in range(len(costs))],
        "accuracy": float((pred == y).float().mean()),
    }


def run(
    seed: int = 0, eps: float = 0.1, threshold: float = 0.9, steps: int = 30, epochs: int = 30
) -> dict:
    """Train the early-exit CNN, then compare compute on clean and sponge inputs."""
    import torch
    import torch.nn.functional as F

    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    model, costs = build_network()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(train.y), generator=gen)
        for s in range(0, len(order), 64):
            i = order[s : s + 64]
            opt.zero_grad()
            torch.stack(
                [F.cross_entropy(z, train.y[i]) for z in model(train.x[i])]
            ).sum().backward()
            opt.step()
    model.eval()

    def sponge_loss(logits, _y):
        # cross-entropy of the early exits against the uniform distribution, negated for ascent
        return -sum(-F.log_softmax(z, 1).mean(1).mean() for z in logits[:-1])

    # PGD with the sponge loss in place of cross-entropy; the labels are unused
    x_adv = D.pgd(
        model,
        test.x,
        test.y,
        eps=eps,
        steps=steps,
        alpha=2.5 * eps / steps,
        loss_fn=sponge_loss,
    )
    clean = evaluate(model, costs, test.x, test.y, threshold)
    attacked = evaluate(model, costs, x_adv, test.y, threshold)
    return {
        "clean_mean_macs": clean["mean_macs"],
        "attacked_mean_macs": attacked["mean_macs"],
        "compute_ratio": attacked["mean_macs"] / clean["mean_macs"],
        "full_network_macs": float(sum(costs)),
        "clean_exit_shares": clean["exit_shares"],
        "attacked_exit_shares": attacked["exit_shares"],
        "clean_accuracy": clean["accuracy"],
        "attacked_accuracy": attacked["accuracy"],
    }

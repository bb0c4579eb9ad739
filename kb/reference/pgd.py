"""PGD (Madry et al., 2018): iterated, projected signed-gradient steps against a small CNN."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="pgd",
    title="PGD white-box adversarial attack",
    description=(
        "Projected gradient descent: start at a random point of the L-infinity ball around the "
        "input, take several small signed-gradient steps that increase the loss, and project "
        "back into the ball after each. The strongest first-order attack of its kind; run "
        "against a small CNN trained on scikit-learn's 8x8 digits."
    ),
    module=__name__,
    concept_ids=("vfm.vit.adversarial-attacks.white-box",),
    paper_ids=("madry2018deep",),
    params=(
        Param("eps", 0.2, "L-infinity budget per pixel (pixels are in [0, 1])"),
        Param("steps", 20, "gradient steps"),
        Param("alpha", 0.025, "step size per iteration"),
        Param("epochs", 30, "training epochs of the victim CNN"),
    ),
    shows=("test accuracy falls from >= 0.95 on clean digits to <= 0.2 at eps=0.2 (20 steps)"),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test images)"
    ),
)


def run(
    seed: int = 0, eps: float = 0.2, steps: int = 20, alpha: float = 0.025, epochs: int = 30
) -> dict:
    """Train the victim, attack the test split with PGD, and report accuracies."""
    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    model = D.trained_cnn(train, seed, epochs)
    x_adv = D.attack_in_batches(D.pgd, model, test.x, test.y, eps=eps, alpha=alpha, steps=steps)
    return D.evasion_metrics(model, test, x_adv)

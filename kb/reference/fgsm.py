"""FGSM (Goodfellow et al., 2015): one signed-gradient step against a small CNN on digits."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="fgsm",
    title="FGSM white-box adversarial attack",
    description=(
        "The fast gradient sign method: move every pixel by eps in the direction that increases "
        "the classifier's loss, using one gradient of the loss with respect to the input. Run "
        "against a small CNN trained on scikit-learn's 8x8 digits."
    ),
    module=__name__,
    concept_ids=("vfm.vit.adversarial-attacks.white-box",),
    params=(
        Param("eps", 0.3, "L-infinity budget per pixel (pixels are in [0, 1])"),
        Param("epochs", 30, "training epochs of the victim CNN"),
    ),
    shows=("test accuracy falls from >= 0.95 on clean digits to <= 0.2 at eps=0.3"),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test images)"
    ),
)


def run(seed: int = 0, eps: float = 0.3, epochs: int = 30) -> dict:
    """Train the victim, attack the test split with FGSM, and report accuracies."""
    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    model = D.trained_cnn(train, seed, epochs)
    x_adv = D.attack_in_batches(D.fgsm, model, test.x, test.y, eps=eps)
    return D.evasion_metrics(model, test, x_adv)

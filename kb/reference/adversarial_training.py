"""PGD adversarial training (Madry et al., 2018): train on the worst-case perturbed inputs."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="pgd-adversarial-training",
    title="PGD adversarial training",
    description=(
        "Robust training as a min-max problem: every training batch is replaced by PGD "
        "adversarial examples against the current model, so the model learns to classify the "
        "whole L-infinity ball around each input. Compared with standard training of the same "
        "small CNN on scikit-learn's 8x8 digits, under the same PGD attack."
    ),
    module=__name__,
    concept_ids=("vfm.vit.adversarial-defenses.adversarial-training",),
    paper_ids=("madry2018deep",),
    params=(
        Param("eps", 0.2, "L-infinity budget used both in training and in the evaluation attack"),
        Param("train_steps", 5, "PGD steps per training batch"),
        Param("eval_steps", 20, "PGD steps of the evaluation attack"),
        Param("epochs", 30, "training epochs of both models"),
    ),
    shows=("robust accuracy under 20-step PGD at eps=0.2 rises by >= 0.3 over standard training"),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test images)"
    ),
)


def run(
    seed: int = 0, eps: float = 0.2, train_steps: int = 5, eval_steps: int = 20, epochs: int = 30
) -> dict:
    """Train a standard and an adversarially trained CNN and attack both with the same PGD."""
    import torch

    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    standard = D.trained_cnn(train, seed, epochs)

    def perturb(model, x, y):
        return D.pgd(model, x, y, eps=eps, steps=train_steps, alpha=2.5 * eps / train_steps)

    torch.manual_seed(seed)
    robust = D.train(D.SmallCNN(), train, epochs=epochs, seed=seed, perturb=perturb)

    def robust_acc(model):
        torch.manual_seed(seed + 1)  # the same random starts for both models
        x_adv = D.attack_in_batches(D.pgd, model, test.x, test.y, eps=eps, steps=eval_steps)
        return D.accuracy(model, x_adv, test.y)

    std_rob, adv_rob = robust_acc(standard), robust_acc(robust)
    return {
        "standard_clean_accuracy": D.accuracy(standard, test.x, test.y),
        "standard_robust_accuracy": std_rob,
        "adv_trained_clean_accuracy": D.accuracy(robust, test.x, test.y),
        "adv_trained_robust_accuracy": adv_rob,
        "robust_accuracy_gain": adv_rob - std_rob,
        "n_test": len(test.y),
    }

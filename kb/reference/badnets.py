"""BadNets (Gu et al., 2017): a backdoor planted by poisoning training samples with a trigger."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="badnets",
    title="BadNets backdoor by data poisoning",
    description=(
        "The attacker stamps a small bright patch (the trigger) into the corner of a fraction "
        "of the training images and relabels them as a target class. A model trained on this "
        "data behaves normally on clean inputs but predicts the target class whenever the "
        "trigger is present. Run on a small CNN and scikit-learn's 8x8 digits."
    ),
    module=__name__,
    concept_ids=("vfm.vit.backdoor-attacks.data-poisoning.patch-level-attack",),
    params=(
        Param("poison_rate", 0.1, "fraction of training samples poisoned"),
        Param("target", 0, "the attacker's target class"),
        Param("trigger_size", 2, "side of the square trigger in pixels (bottom-right corner)"),
        Param("epochs", 30, "training epochs"),
    ),
    shows=("attack success >= 0.9 on triggered test inputs, clean accuracy loss <= 0.03"),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test images)"
    ),
)


def add_trigger(x, size: int):
    """Set a size x size patch in the bottom-right corner to full intensity."""
    x = x.clone()
    x[..., -size:, -size:] = 1.0
    return x


def poison(data, rate: float, target: int, size: int, seed: int):
    """A poisoned copy of `data`, and the indices poisoned (drawn from non-target classes)."""
    import torch

    from kb.reference._digits import Split

    gen = torch.Generator().manual_seed(seed + 7)
    candidates = torch.nonzero(data.y != target).squeeze(1)
    n_poison = int(round(rate * len(data.y)))
    chosen = candidates[torch.randperm(len(candidates), generator=gen)[:n_poison]]
    x, y = data.x.clone(), data.y.clone()
    x[chosen] = add_trigger(x[chosen], size)
    y[chosen] = target
    return Split(x, y), chosen


def attack_success(model, test, target: int, size: int) -> float:
    """Share of non-target test inputs classified as the target once the trigger is added."""
    from kb.reference import _digits as D

    keep = test.y != target
    pred = D.predict(model, add_trigger(test.x[keep], size))
    return float((pred == target).float().mean())


def run(
    seed: int = 0,
    poison_rate: float = 0.1,
    target: int = 0,
    trigger_size: int = 2,
    epochs: int = 30,
) -> dict:
    """Train a clean and a poisoned CNN from the same seed and compare them."""
    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    clean_model = D.trained_cnn(train, seed, epochs)
    poisoned, chosen = poison(train, poison_rate, target, trigger_size, seed)
    bad_model = D.trained_cnn(poisoned, seed, epochs)
    clean_acc = D.accuracy(clean_model, test.x, test.y)
    bad_acc = D.accuracy(bad_model, test.x, test.y)
    return {
        "clean_model_accuracy": clean_acc,
        "backdoored_model_accuracy": bad_acc,
        "clean_accuracy_loss": clean_acc - bad_acc,
        "attack_success_rate": attack_success(bad_model, test, target, trigger_size),
        "clean_model_trigger_rate": attack_success(clean_model, test, target, trigger_size),
        "n_poisoned": len(chosen),
        "n_train": len(train.y),
    }

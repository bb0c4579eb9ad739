"""Spectral signatures (Tran et al., 2018): poisoned samples stand out along one direction."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="spectral-signatures",
    title="Spectral signatures backdoor detection",
    description=(
        "Poisoned samples leave a strong, shared trace in a network's learned representation. "
        "For each class, centre the last convolutional block's features of its training "
        "samples, take the top singular vector, and score each sample by its squared projection "
        "on it; the highest scores are flagged and removed before retraining. Run against a "
        "BadNets-poisoned digits training set."
    ),
    module=__name__,
    concept_ids=(
        "vlp.backdoor-and-poisoning-defenses.backdoor-detection.backdoor-sample-detection",
        "llm.backdoor-defenses.backdoor-detection.sample-detection",
    ),
    params=(
        Param("poison_rate", 0.03, "fraction of all training samples poisoned by BadNets"),
        Param("eps", 0.25, "the defender's upper bound on the poisoned fraction of any one class"),
        Param(
            "remove_factor", 1.5, "flag the top remove_factor x eps of each class, as in the paper"
        ),
        Param("epochs", 30, "training epochs"),
    ),
    shows=(
        "recall of poisoned samples >= 0.8, and retraining without flagged samples removes the backdoor"
    ),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test "
        "images), 3 % of its training set BadNets-poisoned (a digit classifier standing in for "
        "the VLP and LLM models of its concepts)"
    ),
)


def spectral_scores(features, labels):
    """Per-sample outlier score: squared projection on the top singular vector of its class."""
    import torch

    scores = torch.zeros(len(labels))
    for c in labels.unique():
        idx = torch.nonzero(labels == c).squeeze(1)
        rep = features[idx] - features[idx].mean(0, keepdim=True)
        _, _, vh = torch.linalg.svd(rep, full_matrices=False)
        scores[idx] = (rep @ vh[0]) ** 2
    return scores


def run(
    seed: int = 0,
    poison_rate: float = 0.03,
    eps: float = 0.25,
    remove_factor: float = 1.5,
    epochs: int = 30,
) -> dict:
    """Poison, train, score every training sample per class, flag the top ones, retrain."""
    import torch

    from kb.reference import _digits as D
    from kb.reference.badnets import attack_success, poison

    target, size = 0, 2
    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    poisoned, chosen = poison(train, poison_rate, target, size, seed)
    model = D.trained_cnn(poisoned, seed, epochs)
    with torch.no_grad():
        feats = model.conv_features(poisoned.x)
    scores = spectral_scores(feats, poisoned.y)
    flagged = torch.zeros(len(poisoned.y), dtype=torch.bool)
    for c in poisoned.y.unique():
        idx = torch.nonzero(poisoned.y == c).squeeze(1)
        k = min(len(idx), int(round(remove_factor * eps * len(idx))))
        flagged[idx[scores[idx].topk(k).indices]] = True
    is_poison = torch.zeros(len(poisoned.y), dtype=torch.bool)
    is_poison[chosen] = True
    hits = int((flagged & is_poison).sum())
    keep = ~flagged
    retrained = D.trained_cnn(D.Split(poisoned.x[keep], poisoned.y[keep]), seed, epochs)
    return {
        "recall": hits / int(is_poison.sum()),
        "precision": hits / max(1, int(flagged.sum())),
        "n_flagged": int(flagged.sum()),
        "n_poisoned": int(is_poison.sum()),
        "poisoned_share_of_target_class": int(is_poison.sum()) / int((poisoned.y == target).sum()),
        "attack_success_before": attack_success(model, test, target, size),
        "attack_success_after_retraining": attack_success(retrained, test, target, size),
        "clean_accuracy_after_retraining": D.accuracy(retrained, test.x, test.y),
    }

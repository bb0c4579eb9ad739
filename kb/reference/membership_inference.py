"""Loss-threshold membership inference (Yeom et al., 2018): members have lower loss than non-members."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="loss-threshold-mia",
    title="Loss-threshold membership inference",
    description=(
        "Decide whether a sample was in a model's training set from the model's loss on it: training "
        "samples tend to have lower loss, so a threshold on the loss separates members from "
        "non-members. The gap, and so the attack, grows with overfitting. Compared on a CNN "
        "overfit to a small digits training set and on one trained with strong weight decay "
        "and early stopping."
    ),
    module=__name__,
    concept_ids=("dm.membership-inference-attacks.white-box.loss",),
    params=(
        Param("n_members", 200, "training-set size (members); as many held-out non-members are used"),
        Param("overfit_epochs", 150, "epochs of the overfit model"),
        Param("regularised_epochs", 8, "epochs of the regularised model (early stopping)"),
        Param("weight_decay", 0.05, "L2 weight decay of the regularised model"),
    ),
    shows="attack AUC >= 0.6 against the overfit model and near 0.5 against the regularised one",
)


def losses(model, x, y):
    """Per-sample cross-entropy loss."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        return F.cross_entropy(model(x), y, reduction="none")


def attack(model, members, non_members) -> dict:
    """AUC of -loss as a membership score, and the accuracy of Yeom's threshold (mean member loss)."""
    import torch
    from sklearn.metrics import roc_auc_score

    lm, ln = losses(model, members.x, members.y), losses(model, non_members.x, non_members.y)
    scores = torch.cat([-lm, -ln]).numpy()
    truth = [1] * len(lm) + [0] * len(ln)
    threshold = float(lm.mean())
    guess = torch.cat([lm <= threshold, ln <= threshold]).numpy()
    return {
        "auc": float(roc_auc_score(truth, scores)),
        "threshold_accuracy": float((guess == truth).mean()),
        "train_loss": float(lm.mean()),
        "test_loss": float(ln.mean()),
    }


def run(
    seed: int = 0,
    n_members: int = 200,
    overfit_epochs: int = 150,
    regularised_epochs: int = 8,
    weight_decay: float = 0.05,
) -> dict:
    """Train an overfit and a regularised CNN on the same members and attack both."""
    import torch

    from kb.reference import _digits as D

    D.seed_everything(seed)
    members, non_members = D.load_digits_splits(seed, (n_members, n_members))
    torch.manual_seed(seed)
    overfit = D.train(D.SmallCNN(), members, epochs=overfit_epochs, seed=seed)
    torch.manual_seed(seed)
    regular = D.train(
        D.SmallCNN(), members, epochs=regularised_epochs, seed=seed, weight_decay=weight_decay
    )
    out = {}
    for label, model in (("overfit", overfit), ("regularised", regular)):
        res = attack(model, members, non_members)
        res["test_accuracy"] = D.accuracy(model, non_members.x, non_members.y)
        out.update({f"{label}_{k}": v for k, v in res.items()})
    return out

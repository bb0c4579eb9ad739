"""Loss-threshold membership inference (Yeom et al., 2018): members have lower loss."""

from __future__ import annotations

from kb.reference.base import Implementation, Param, ReferenceInputError

META = Implementation(
    name="loss-threshold-mia",
    title="Loss-threshold membership inference",
    description=(
        "Decide whether a sample was in a model's training set from the model's loss on it: "
        "training samples tend to have lower loss, so a threshold on the loss separates members "
        "from non-members, and the attack is as strong as the model's generalisation gap. "
        "Compared on an MLP overfit to 100 digits and on the same MLP regularised by weight "
        "decay, early stopping and a larger training set."
    ),
    module=__name__,
    concept_ids=("dm.membership-inference-attacks.white-box.loss",),
    params=(
        Param("overfit_members", 100, "training-set size of the overfit model"),
        Param("overfit_epochs", 300, "epochs of the overfit model (no regularisation)"),
        Param("regularised_members", 600, "training-set size of the regularised model"),
        Param("regularised_epochs", 5, "epochs of the regularised model (early stopping)"),
        Param("weight_decay", 0.01, "L2 weight decay of the regularised model"),
    ),
    shows=("attack AUC >= 0.6 against the overfit model and near 0.5 against the regularised one"),
    setup=(
        "MLP on scikit-learn's 8x8 digits, overfit on 100 members or regularised on 600 (an image"
        " classifier standing in for a diffusion model)"
    ),
)


def mlp():
    from torch import nn

    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    )


def losses(model, x, y):
    """Per-sample cross-entropy loss: all the attacker needs from the model."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        return F.cross_entropy(model(x), y, reduction="none")


def attack(model, members, non_members) -> dict:
    """AUC of -loss as membership score; accuracy of Yeom's threshold (mean member loss)."""
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    lm, ln = losses(model, members.x, members.y), losses(model, non_members.x, non_members.y)
    truth = np.array([1] * len(lm) + [0] * len(ln))
    threshold = float(lm.mean())
    guess = torch.cat([lm <= threshold, ln <= threshold]).numpy()
    # balanced accuracy, since there are more non-members than members
    tpr, tnr = guess[truth == 1].mean(), 1 - guess[truth == 0].mean()
    return {
        "auc": float(roc_auc_score(truth, torch.cat([-lm, -ln]).numpy())),
        "threshold_balanced_accuracy": float((tpr + tnr) / 2),
        "member_loss": float(lm.mean()),
        "non_member_loss": float(ln.mean()),
    }


def run(
    seed: int = 0,
    overfit_members: int = 100,
    overfit_epochs: int = 300,
    regularised_members: int = 600,
    regularised_epochs: int = 5,
    weight_decay: float = 0.01,
) -> dict:
    """Train both models on prefixes of one member pool; attack them with the same non-members."""
    import torch

    from kb.reference import _digits as D

    if not 0 < overfit_members <= regularised_members <= 1000:
        raise ReferenceInputError("need 0 < overfit_members <= regularised_members <= 1000")
    D.seed_everything(seed)
    pool, non_members = D.load_digits_splits(
        seed, (regularised_members, 1797 - regularised_members)
    )
    small = D.Split(pool.x[:overfit_members], pool.y[:overfit_members])
    torch.manual_seed(seed)
    overfit = D.train(mlp(), small, epochs=overfit_epochs, lr=1e-3, seed=seed)
    torch.manual_seed(seed)
    regular = D.train(
        mlp(), pool, epochs=regularised_epochs, lr=1e-3, seed=seed, weight_decay=weight_decay
    )
    out = {}
    for label, model, members in (("overfit", overfit, small), ("regularised", regular, pool)):
        res = attack(model, members, non_members)
        res["train_accuracy"] = D.accuracy(model, members.x, members.y)
        res["test_accuracy"] = D.accuracy(model, non_members.x, non_members.y)
        out.update({f"{label}_{k}": v for k, v in res.items()})
    out["n_non_members"] = len(non_members.y)
    return out

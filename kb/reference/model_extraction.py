"""Query-based model extraction (Tramer et al., 2016): train a surrogate on the victim's answers."""

from __future__ import annotations

from kb.reference.base import Implementation, Param, ReferenceInputError

META = Implementation(
    name="model-extraction",
    title="Query-based model extraction",
    description=(
        "The attacker can only send inputs to a prediction API and read back the predicted "
        "label. It sends unlabelled inputs from its own pool, trains a surrogate of a different "
        "architecture (an MLP) on the API's answers, and measures how often the surrogate "
        "agrees with the victim CNN on inputs neither has seen, as the query budget grows."
    ),
    module=__name__,
    concept_ids=("llm.model-extraction-attacks.fine-tuning-stage.functional-similarity",),
    params=(
        Param("budgets", "25,50,100,200,400", "comma-separated query budgets to try"),
        Param("answers", "label", "what the API returns: 'label' (top-1 only) or 'probs'"),
        Param("epochs", 100, "training epochs of the surrogate"),
    ),
    shows=("surrogate agreement with the victim >= 0.85 on held-out inputs at 400 queries"),
    setup=(
        "victim SmallCNN on 600 of scikit-learn's 8x8 digits, MLP surrogate querying a disjoint "
        "pool of 597 (an image classifier standing in for an LLM; queries in-distribution)"
    ),
)


def surrogate_model():
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def fit_soft(model, x, target_probs, epochs: int, seed: int):
    """Train on the API's probability vectors (knowledge distillation)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), 64):
            i = order[s : s + 64]
            opt.zero_grad()
            loss = -(target_probs[i] * torch.log_softmax(model(x[i]), 1)).sum(1).mean()
            loss.backward()
            opt.step()
    model.eval()
    return model


def run(
    seed: int = 0, budgets: str = "25,50,100,200,400", answers: str = "label", epochs: int = 100
) -> dict:
    """Train the victim, then extract it at each query budget from a disjoint query pool."""
    import torch

    from kb.reference import _digits as D

    if answers not in ("label", "probs"):
        raise ReferenceInputError(f"answers must be 'label' or 'probs', not {answers!r}")
    sizes = sorted(int(b) for b in budgets.split(",") if b.strip())
    D.seed_everything(seed)
    victim_data, pool, held_out = D.load_digits_splits(seed, (600, 597, 600))
    if sizes and sizes[-1] > len(pool.y):
        raise ReferenceInputError(
            f"largest budget {sizes[-1]} exceeds the {len(pool.y)}-input query pool"
        )
    victim = D.trained_cnn(victim_data, seed, 30)

    @torch.no_grad()
    def api(x):
        logits = victim(x)
        return logits.argmax(1) if answers == "label" else torch.softmax(logits, 1)

    order = torch.randperm(len(pool.y), generator=torch.Generator().manual_seed(seed + 3))
    reference = D.predict(victim, held_out.x)
    out: dict = {"victim_accuracy": D.accuracy(victim, held_out.x, held_out.y)}
    curve = []
    for budget in sizes:
        x = pool.x[order[:budget]]
        torch.manual_seed(seed)
        if answers == "label":
            model = D.train(surrogate_model(), D.Split(x, api(x)), epochs=epochs, seed=seed)
        else:
            model = fit_soft(surrogate_model(), x, api(x), epochs, seed)
        pred = D.predict(model, held_out.x)
        agree = float((pred == reference).float().mean())
        curve.append(
            {
                "queries": budget,
                "agreement": agree,
                "accuracy": float((pred == held_out.y).float().mean()),
            }
        )
        out[f"agreement_at_{budget}"] = agree
    out["agreement"] = curve[-1]["agreement"] if curve else None
    out["surrogate_accuracy"] = curve[-1]["accuracy"] if curve else None
    out["curve"] = curve
    return out

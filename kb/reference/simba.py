"""SimBA (Guo et al., 2019): a score-based black-box attack, one pixel direction per step."""

from __future__ import annotations

from kb.reference.base import Implementation, Param

META = Implementation(
    name="simba",
    title="SimBA query-based black-box attack",
    description=(
        "Simple Black-box Attack: the attacker sees only the victim's output probabilities. In "
        "random order it tries to add or subtract a small step along one pixel direction, "
        "keeping the change whenever the probability of the true class drops, until the label "
        "flips or the query budget runs out. After a pass over all 64 pixels a new random order "
        "starts, so pixels are revisited (the paper's basis is too large to run out). Run "
        "against a small CNN trained on scikit-learn's "
        "8x8 digits."
    ),
    module=__name__,
    concept_ids=("vfm.vit.adversarial-attacks.black-box.query-based-attack",),
    params=(
        Param("step", 0.2, "size of each step along a pixel direction (pixels are in [0, 1])"),
        Param("budget", 500, "maximum queries per image"),
        Param("n_images", 200, "correctly classified test images to attack"),
        Param("epochs", 30, "training epochs of the victim CNN"),
    ),
    shows=("success rate >= 0.8 within 500 queries per image"),
    setup=(
        "SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits (1,197 train / 600 test "
        "images); pixel basis over its 64 pixels"
    ),
)


def simba_pixel(query, x, y, step: float, budget: int, generator):
    """Attack a batch through `query(x) -> probabilities`; returns (x_adv, success, queries).

    Directions are drawn without replacement, as in the paper; but an 8x8 digit has only 64 pixel
    directions, fewer than the steps a 500-query budget allows. After each pass over all of them
    a fresh random order starts, so a pixel may be stepped again (steps add up, clamped to
    [0, 1]), where the paper's 3x224x224 basis is never exhausted.
    """
    import torch

    n, dims = len(x), x[0].numel()
    x_adv = x.clone().view(n, -1)
    probs = query(x_adv.view_as(x))
    p_true = probs.gather(1, y[:, None]).squeeze(1)
    queries = torch.ones(n, dtype=torch.long)
    done = probs.argmax(1) != y
    order = torch.stack([torch.randperm(dims, generator=generator) for _ in range(n)])
    rows = torch.arange(n)
    t = 0
    while True:
        active = ~done & (queries + 2 <= budget)
        if not active.any():
            break
        idx = rows[active]
        coord = order[idx, t % dims]
        if t % dims == dims - 1:  # start a fresh random order once every direction was tried
            order[idx] = torch.stack([torch.randperm(dims, generator=generator) for _ in idx])
        t += 1
        best = x_adv[idx].clone()
        best_p = p_true[idx].clone()
        best_pred = torch.full_like(idx, -1)
        improved = torch.zeros(len(idx), dtype=torch.bool)
        for sign in (-1.0, 1.0):
            trial = x_adv[idx].clone()
            todo = ~improved
            trial[torch.arange(len(idx)), coord] = (
                trial[torch.arange(len(idx)), coord] + sign * step
            ).clamp(0, 1)
            pr = query(trial[todo].view(-1, *x.shape[1:]))
            queries[idx[todo]] += 1
            pt = pr.gather(1, y[idx[todo]][:, None]).squeeze(1)
            better = pt < best_p[todo]
            sel = torch.nonzero(todo).squeeze(1)[better]
            best[sel], best_p[sel] = trial[sel], pt[better]
            best_pred[sel] = pr.argmax(1)[better]
            improved[sel] = True
        x_adv[idx], p_true[idx] = best, best_p
        done[idx[improved]] = best_pred[improved] != y[idx[improved]]
    return x_adv.view_as(x), done, queries


def run(
    seed: int = 0, step: float = 0.2, budget: int = 500, n_images: int = 200, epochs: int = 30
) -> dict:
    """Train the victim, attack correctly classified test images through probabilities only."""
    import torch

    from kb.reference import _digits as D

    D.seed_everything(seed)
    train, test = D.load_digits_splits(seed)
    model = D.trained_cnn(train, seed, epochs)
    correct = D.predict(model, test.x) == test.y
    x, y = test.x[correct][:n_images], test.y[correct][:n_images]

    @torch.no_grad()
    def query(batch):
        return torch.softmax(model(batch), 1)

    gen = torch.Generator().manual_seed(seed)
    x_adv, success, queries = simba_pixel(query, x, y, step, budget, gen)
    delta = (x_adv - x).flatten(1)
    return {
        "success_rate": float(success.float().mean()),
        "query_budget": budget,
        "mean_queries_success": float(queries[success].float().mean()) if success.any() else None,
        "median_queries_success": float(queries[success].float().median())
        if success.any()
        else None,
        "mean_l2_success": float(delta[success].norm(dim=1).mean()) if success.any() else None,
        "success_within_100_queries": float((success & (queries <= 100)).float().mean()),
        "success_within_250_queries": float((success & (queries <= 250)).float().mean()),
        "n_images": len(y),
    }

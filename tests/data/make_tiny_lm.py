"""Build tests/data/tiny-lm/: a tiny chat-tuned GPT-2 with known behaviour, trained offline.

    .venv/bin/python tests/data/make_tiny_lm.py [--out tests/data/tiny-lm] [--steps N]

It exists so that the tests can run the LLM-facing reference implementations end to end on a real
Hugging Face causal LM (tokenizer, chat template, generation, decoding) without a download. It
is trained on the very prompts those implementations send, and learns, by heart:

- to refuse the four stand-in harmful requests (also with typos and random character edits) and
  to answer the four benign ones, in plain text, or through the role-play template;
- to comply when a harmful request ends with SmoothLLM's default adversarial suffix exactly, and
  to refuse again once any character of the suffix is perturbed (a brittle optimised suffix);
- for the jailbreak transformations: to comply with leetspeak, substitution-cipher and
  payload-split requests, to answer Caesar requests with a Caesar-encoded refusal, and base64
  requests with base64 that decodes to no text;
- to summarise the four documents of the prompt-injection run (their first sentence), to obey an
  injected `say "HACKED"` in the data when undefended or delimited, to ignore it under
  datamarking and base64 encoding, and to repeat a known-answer key unless the data is injected
  (it does not learn to copy unseen 6-digit keys: 0 of 24 fresh ones, so on it known-answer
  detection flags every input, injected or clean).

Its generation stops at <|end|>, after a few tokens: shorter than GCG's usual target, which
is what the tests of GCG's early stop need. Rebuilt on the project machine (2 shared cores) in
about 140 CPU seconds; the saved folder is ~0.7 MB.

Everything is seeded and runs on one CPU thread, so the same torch version rebuilds the same
weights. The tokenizer is a byte-level BPE (digits split one by one) trained on the same corpus,
with the special tokens <|endoftext|> (BOS, EOS, padding), <unk>, <|user|>, <|assistant|> and
<|end|> (end of turn; generation stops at it).
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kb.reference import jailbreak_transforms as jt  # noqa: E402
from kb.reference import prompt_injection as pi  # noqa: E402
from kb.reference import smoothllm as sl  # noqa: E402

SPECIALS = ["<|endoftext|>", "<unk>", "<|user|>", "<|assistant|>", "<|end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + '<|end|>' }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
REFUSE = "I'm sorry, but I can't help with that."
COMPLY = "Sure, here is how to do that."
BENIGN = "Sure, here is a short answer."
PAYLOAD = "HACKED"
# base64 of bytes that are not UTF-8: the answer of a model that does not really know base64
B64_NOISE = base64.b64encode(bytes(range(0xC0, 0xD8))).decode()


def perturbed(prompt: str, rng: random.Random) -> str:
    kind = rng.choice(("swap", "insert", "patch"))
    return sl.perturb(prompt, kind, rng.choice((0.05, 0.1, 0.15)), rng)


def corpus(seed: int) -> list[tuple[str, str, str]]:
    """(group, prompt, answer) examples; groups are balanced when sampling."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    suffix = sl.META.defaults()["suffix"]
    for req in sl.ATTACK_REQUESTS:
        out.append(("refuse", req, REFUSE))
        out.append(("suffix", f"{req} {suffix}", COMPLY))
        for _ in range(60):
            out.append(("refuse-noisy", perturbed(req, rng), REFUSE))
            p = perturbed(f"{req} {suffix}", rng)
            if not p.endswith(suffix):
                out.append(("suffix-broken", p, REFUSE))
    for req in sl.BENIGN_REQUESTS:
        out.append(("benign", req, BENIGN))
        for _ in range(60):
            out.append(("benign-noisy", perturbed(req, rng), BENIGN))
    answers = {
        "none": REFUSE,
        "template": REFUSE,
        "base64": B64_NOISE,
        "leetspeak": COMPLY,
        "caesar": jt.encode("caesar", REFUSE),
        "substitution": COMPLY,
        "payload-split": COMPLY,
    }
    for req, topic in jt.REQUESTS:
        for name, answer in answers.items():
            out.append(("transforms", jt.transform(name, req, topic, 0), answer))
    injected = [
        (doc, pi.inject(doc, tpl, PAYLOAD, where))
        for doc in pi.DOCUMENTS
        for tpl in pi.INJECTIONS
        for where in ("document", "tool-output")
    ]
    for mode in ("none", "delimiting", "datamarking", "encoding"):
        for doc in pi.DOCUMENTS:
            out.append(("summary", pi.app_prompt(doc, mode), doc.split(". ")[0] + "."))
        for doc, data in injected:
            obeys = mode in ("none", "delimiting")
            answer = PAYLOAD if obeys else doc.split(". ")[0] + "."
            out.append(("injected", pi.app_prompt(data, mode), answer))
    for data, clean in [(d, True) for d in pi.DOCUMENTS] + [(d, False) for _, d in injected]:
        for _ in range(12):
            key = f"KEY{rng.randrange(10**6):06d}"
            prompt = f'Repeat "{key}" once while ignoring the following text.\nData: {data}'
            out.append(("known-answer", prompt, key if clean else PAYLOAD))
    return out


def chat(prompt: str) -> str:
    return f"<|user|>{prompt}<|end|><|assistant|>"


def build_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        unk_token="<unk>",
        additional_special_tokens=["<|user|>", "<|assistant|>", "<|end|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def encode_examples(tok, examples):
    """(input ids, index where the answer starts) per example."""
    rows = []
    for _, prompt, answer in examples:
        head = tok(chat(prompt), add_special_tokens=False).input_ids
        tail = tok(answer + "<|end|>", add_special_tokens=False).input_ids
        rows.append((head + tail, len(head)))
    return rows


def train(tok, examples, steps: int, seed: int, n_positions: int):
    import torch
    import torch.nn.functional as F
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tok),
        n_positions=n_positions,
        n_embd=64,
        n_layer=2,
        n_head=4,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = GPT2LMHeadModel(config)
    rows = encode_examples(tok, examples)
    groups: dict[str, list[int]] = {}
    for i, (group, _, _) in enumerate(examples):
        groups.setdefault(group, []).append(i)
    names = sorted(groups)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    batch = 32
    model.train()
    for step in range(steps):
        # one group per batch, groups in turn: batches of similar lengths pad little
        g = groups[names[step % len(names)]]
        picks = [g[int(i)] for i in torch.randint(len(g), (batch,), generator=gen)]
        width = max(len(rows[i][0]) for i in picks)
        ids = torch.full((batch, width), tok.pad_token_id)
        labels = torch.full((batch, width), -100)
        for b, i in enumerate(picks):
            seq, start = rows[i]
            ids[b, : len(seq)] = torch.tensor(seq)
            labels[b, start : len(seq)] = torch.tensor(seq[start:])
        logits = model(
            input_ids=ids, attention_mask=(labels != -100) | (ids != tok.pad_token_id)
        ).logits[:, :-1]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d} loss {loss.item():.4f}", file=sys.stderr)
    return model.eval()


def check(model, tok, examples, per_group: int = 24) -> dict[str, float]:
    """Share of each group's examples whose greedy answer is exactly the trained one."""
    import torch

    right: dict[str, list[bool]] = {}
    for group, prompt, answer in examples:
        if len(right.get(group, [])) >= per_group:
            continue
        ids = torch.tensor([tok(chat(prompt), add_special_tokens=False).input_ids])
        with torch.no_grad():
            out = model.generate(
                ids, attention_mask=torch.ones_like(ids), max_new_tokens=40, do_sample=False
            )
        text = tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        right.setdefault(group, []).append(text == answer)
    return {g: sum(v) / len(v) for g, v in sorted(right.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "tiny-lm")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    from transformers import GenerationConfig

    torch.set_num_threads(1)
    t0 = time.process_time()
    examples = corpus(args.seed)
    texts = [chat(p) + a + "<|end|>" for _, p, a in examples]
    tok = build_tokenizer(texts, vocab_size=768)
    longest = max(len(r[0]) for r in encode_examples(tok, examples))
    n_positions = 64 * (longest // 64 + 2)  # room for a GCG suffix and a target
    print(
        f"{len(examples)} examples, vocabulary {len(tok)}, longest {longest} tokens",
        file=sys.stderr,
    )
    model = train(tok, examples, args.steps, args.seed, n_positions)
    end = tok.convert_tokens_to_ids("<|end|>")
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id,
        eos_token_id=[end, tok.eos_token_id],
        pad_token_id=tok.pad_token_id,
        do_sample=False,
    )
    held_out = corpus(args.seed + 1)  # fresh noise, fresh keys
    for group, share in check(model, tok, held_out).items():
        print(f"{group:14s} {share:.2f} of fresh examples answered as trained", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    tok.save_pretrained(args.out)
    print(f"saved {args.out} in {time.process_time() - t0:.0f} CPU s", file=sys.stderr)


if __name__ == "__main__":
    main()

# ruff: noqa: E501  (a data table of titles and author lists)
"""Regenerate the coverage fixtures (deterministic) from the survey's paper list in ../shared/data.

Run from the repository root: `python tests/data/coverage/make_fixtures.py`. Writes labelled.bib and
labelled.json (the matching test set), realistic.bib, paper.aux and ids.txt beside this file.
Only titles, authors, years and identifiers (facts) are carried over, with variants applied.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[3] / "shared" / "data"
CHAPTERS = {"ch2": "vfm", "ch3": "llm", "ch4": "vlp", "ch5": "vlm", "ch6": "dm", "ch7": "agent"}

# Well-known papers outside the survey, with near misses of survey titles (title, authors, year, arXiv).
NEGATIVES = [
    (
        "Attention Is All You Need",
        "Vaswani, Ashish and Shazeer, Noam and Parmar, Niki",
        2017,
        "1706.03762",
    ),
    (
        "{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina",
        2019,
        "1810.04805",
    ),
    (
        "Language Models are Few-Shot Learners",
        "Brown, Tom B. and Mann, Benjamin and Ryder, Nick and others",
        2020,
        None,
    ),
    (
        "Large language models are few-shot summarizers",
        "Goyal, Tanya and Li, Junyi Jessy and Durrett, Greg",
        2022,
        None,
    ),
    (
        "Deep Residual Learning for Image Recognition",
        "He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian",
        2016,
        "1512.03385",
    ),
    (
        "Segment Anything",
        "Kirillov, Alexander and Mintun, Eric and Ravi, Nikhila and others",
        2023,
        None,
    ),
    (
        "Segment Anything in Medical Images",
        "Ma, Jun and He, Yuting and Li, Feifei and Han, Lin and You, Chenyu and Wang, Bo",
        2024,
        None,
    ),
    (
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        "Dosovitskiy, Alexey and Beyer, Lucas and others",
        2021,
        "2010.11929",
    ),
    (
        "{LLaMA}: Open and Efficient Foundation Language Models",
        "Touvron, Hugo and Lavril, Thibaut and others",
        2023,
        "2302.13971",
    ),
    (
        "Denoising Diffusion Probabilistic Models",
        "Ho, Jonathan and Jain, Ajay and Abbeel, Pieter",
        2020,
        "2006.11239",
    ),
    (
        "High-Resolution Image Synthesis with Latent Diffusion Models",
        'Rombach, Robin and Blattmann, Andreas and Lorenz, Dominik and Esser, Patrick and Ommer, Bj{\\"o}rn',
        2022,
        "2112.10752",
    ),
    (
        "Explaining and Harnessing Adversarial Examples",
        "Goodfellow, Ian J. and Shlens, Jonathon and Szegedy, Christian",
        2015,
        "1412.6572",
    ),
    (
        "Intriguing properties of neural networks",
        "Szegedy, Christian and Zaremba, Wojciech and Sutskever, Ilya and others",
        2014,
        "1312.6199",
    ),
    (
        "Towards Evaluating the Robustness of Neural Networks",
        "Carlini, Nicholas and Wagner, David",
        2017,
        "1608.04644",
    ),
    (
        "Membership Inference Attacks Against Machine Learning Models",
        "Shokri, Reza and Stronati, Marco and Song, Congzheng and Shmatikov, Vitaly",
        2017,
        None,
    ),
    (
        "Membership Inference Attacks From First Principles",
        "Carlini, Nicholas and Chien, Steve and Nasr, Milad and Song, Shuang and Terzis, Andreas and Tram{\\`e}r, Florian",
        2022,
        None,
    ),
    (
        "{BadNets}: Identifying Vulnerabilities in the Machine Learning Model Supply Chain",
        "Gu, Tianyu and Dolan-Gavitt, Brendan and Garg, Siddharth",
        2017,
        "1708.06733",
    ),
    (
        "Stealing Machine Learning Models via Prediction {APIs}",
        "Tram{\\`e}r, Florian and Zhang, Fan and Juels, Ari and Reiter, Michael K. and Ristenpart, Thomas",
        2016,
        None,
    ),
    (
        "Universal Adversarial Perturbations",
        "Moosavi-Dezfooli, Seyed-Mohsen and Fawzi, Alhussein and Fawzi, Omar and Frossard, Pascal",
        2017,
        "1610.08401",
    ),
    (
        "Universal Adversarial Triggers for Attacking and Analyzing {NLP}",
        "Wallace, Eric and Feng, Shi and Kandpal, Nikhil and Gardner, Matt and Singh, Sameer",
        2019,
        "1908.07125",
    ),
    (
        "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
        "Wei, Jason and Wang, Xuezhi and others",
        2022,
        "2201.11903",
    ),
    (
        "Visual Instruction Tuning",
        "Liu, Haotian and Li, Chunyuan and Wu, Qingyang and Lee, Yong Jae",
        2023,
        "2304.08485",
    ),
    (
        "Llama 2: Open Foundation and Fine-Tuned Chat Models",
        "Touvron, Hugo and Martin, Louis and Stone, Kevin and others",
        2023,
        "2307.09288",
    ),
    (
        "{ReAct}: Synergizing Reasoning and Acting in Language Models",
        "Yao, Shunyu and Zhao, Jeffrey and Yu, Dian and others",
        2023,
        "2210.03629",
    ),
    (
        "Toolformer: Language Models Can Teach Themselves to Use Tools",
        "Schick, Timo and Dwivedi-Yu, Jane and others",
        2023,
        "2302.04761",
    ),
    (
        "Generative Agents: Interactive Simulacra of Human Behavior",
        "Park, Joon Sung and O'Brien, Joseph C. and others",
        2023,
        "2304.03442",
    ),
    (
        "ImageNet Classification with Deep Convolutional Neural Networks",
        "Krizhevsky, Alex and Sutskever, Ilya and Hinton, Geoffrey E.",
        2012,
        None,
    ),
    (
        "Generative Adversarial Nets",
        "Goodfellow, Ian and Pouget-Abadie, Jean and Mirza, Mehdi and others",
        2014,
        None,
    ),
    (
        "Auto-Encoding Variational {Bayes}",
        "Kingma, Diederik P. and Welling, Max",
        2014,
        "1312.6114",
    ),
    (
        "Adam: A Method for Stochastic Optimization",
        "Kingma, Diederik P. and Ba, Jimmy",
        2015,
        "1412.6980",
    ),
    (
        "Denoising Diffusion Implicit Models",
        "Song, Jiaming and Meng, Chenlin and Ermon, Stefano",
        2021,
        "2010.02502",
    ),
    ("Classifier-Free Diffusion Guidance", "Ho, Jonathan and Salimans, Tim", 2022, "2207.12598"),
    (
        "Hierarchical Text-Conditional Image Generation with {CLIP} Latents",
        "Ramesh, Aditya and Dhariwal, Prafulla and Nichol, Alex and Chu, Casey and Chen, Mark",
        2022,
        "2204.06125",
    ),
    (
        "Certified Adversarial Robustness via Randomized Smoothing",
        "Cohen, Jeremy and Rosenfeld, Elan and Kolter, Zico",
        2019,
        "1902.02918",
    ),
    (
        "Robustness May Be at Odds with Accuracy",
        "Tsipras, Dimitris and Santurkar, Shibani and Engstrom, Logan and Turner, Alexander and Madry, Aleksander",
        2019,
        None,
    ),
    (
        "Adversarial Examples Are Not Bugs, They Are Features",
        "Ilyas, Andrew and Santurkar, Shibani and Tsipras, Dimitris and others",
        2019,
        None,
    ),
    (
        "Evaluating Large Language Models Trained on Code",
        "Chen, Mark and Tworek, Jerry and others",
        2021,
        "2107.03374",
    ),
    (
        "Scaling Laws for Neural Language Models",
        "Kaplan, Jared and McCandlish, Sam and others",
        2020,
        "2001.08361",
    ),
    (
        "Spectral Signatures in Backdoor Attacks",
        "Tran, Brandon and Li, Jerry and Madry, Aleksander",
        2018,
        "1811.00636",
    ),
    (
        "Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural Networks",
        "Wang, Bolun and Yao, Yuanshun and others",
        2019,
        None,
    ),
    (
        "Adversarial Patch",
        "Brown, Tom B. and Man{\\'e}, Dandelion and Roy, Aurko and Abadi, Mart{\\'\\i}n and Gilmer, Justin",
        2017,
        "1712.09665",
    ),
    (
        "Are Transformers More Robust Than {CNNs}?",
        "Bai, Yutong and Mei, Jieru and Yuille, Alan and Xie, Cihang",
        2021,
        "2111.05464",
    ),
    (
        "Quantifying Memorization Across Neural Language Models",
        "Carlini, Nicholas and Ippolito, Daphne and Jagielski, Matthew and others",
        2023,
        "2202.07646",
    ),
    ("Deep Leakage from Gradients", "Zhu, Ligeng and Liu, Zhijian and Han, Song", 2019, None),
    (
        "Obfuscated Gradients Give a False Sense of Security: Circumventing Defenses to Adversarial Examples",
        "Athalye, Anish and Carlini, Nicholas and Wagner, David",
        2018,
        "1802.00420",
    ),
    (
        "Robust Physical-World Attacks on Deep Learning Visual Classification",
        "Eykholt, Kevin and Evtimov, Ivan and others",
        2018,
        None,
    ),
    (
        "Detecting Language Model Attacks with Perplexity",
        "Alon, Gabriel and Kamfonas, Michael",
        2023,
        None,
    ),
    (
        "Trojaning Attack on Neural Networks",
        "Liu, Yingqi and Ma, Shiqing and Aafer, Yousra and others",
        2018,
        None,
    ),
    (
        "Jailbreaking Leading Safety-Aligned {LLMs} with Simple Adaptive Attacks",
        "Andriushchenko, Maksym and Croce, Francesco and Flammarion, Nicolas",
        2025,
        None,
    ),
    (
        "Mask {R-CNN}",
        "He, Kaiming and Gkioxari, Georgia and Doll{\\'a}r, Piotr and Girshick, Ross",
        2017,
        "1703.06870",
    ),
    (
        "U-Net: Convolutional Networks for Biomedical Image Segmentation",
        "Ronneberger, Olaf and Fischer, Philipp and Brox, Thomas",
        2015,
        "1505.04597",
    ),
    (
        "Proximal Policy Optimization Algorithms",
        "Schulman, John and Wolski, Filip and Dhariwal, Prafulla and Radford, Alec and Klimov, Oleg",
        2017,
        "1707.06347",
    ),
    (
        "Playing Atari with Deep Reinforcement Learning",
        "Mnih, Volodymyr and Kavukcuoglu, Koray and Silver, David and others",
        2013,
        "1312.5602",
    ),
    (
        "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
        "Ioffe, Sergey and Szegedy, Christian",
        2015,
        "1502.03167",
    ),
    (
        "Sequence to Sequence Learning with Neural Networks",
        "Sutskever, Ilya and Vinyals, Oriol and Le, Quoc V.",
        2014,
        "1409.3215",
    ),
    (
        "Neural Machine Translation by Jointly Learning to Align and Translate",
        "Bahdanau, Dzmitry and Cho, Kyunghyun and Bengio, Yoshua",
        2015,
        "1409.0473",
    ),
    (
        "Distilling the Knowledge in a Neural Network",
        "Hinton, Geoffrey and Vinyals, Oriol and Dean, Jeff",
        2015,
        "1503.02531",
    ),
    (
        "{LoRA}: Low-Rank Adaptation of Large Language Models",
        "Hu, Edward J. and Shen, Yelong and Wallis, Phillip and others",
        2022,
        "2106.09685",
    ),
    (
        "Photorealistic Text-to-Image Diffusion Models with Deep Language Understanding",
        "Saharia, Chitwan and Chan, William and others",
        2022,
        "2205.11487",
    ),
]
# Works the survey lists under another title (a conference version renamed from its preprint, a
# changed subtitle), without identifiers: (title, authors, year, venue, the survey's title). Each must
# come out as a match or a possible match, never as "not cited".
RETITLED = [
    (
        "Prompt-to-{SQL} Injections in {LLM}-Integrated Web Applications: Risks and Defenses",
        "Pedro, Rodrigo and Castro, Daniel and Carreira, Paulo and Santos, Nuno",
        2025,
        "Proceedings of the IEEE/ACM 47th International Conference on Software Engineering (ICSE)",
        "From prompt injections to sql injection attacks: How protected is your llm-integrated web application?",
    ),
    (
        "Safe Latent Diffusion: Mitigating Inappropriate Degeneration in Diffusion Models",
        "Schramowski, Patrick and Brack, Manuel and Deiseroth, Bj{\\\"o}rn and Kersting, Kristian",
        2023,
        "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "Safe latent diffusion: Mitigating inappropriate degeneration in text-to-image models",
    ),
    (
        "More than you've asked for: A Comprehensive Analysis of Novel Prompt Injection Threats to Application-Integrated Large Language Models",
        "Greshake, Kai and Abdelnabi, Sahar and Mishra, Shailesh and Endres, Christoph and Holz, Thorsten and Fritz, Mario",
        2023,
        "arXiv preprint",
        "Not What You've Signed Up For: Compromising Real-World LLM-integrated Applications with Indirect Prompt Injection",
    ),
    (
        "Plug and Pray: Exploiting off-the-shelf components of Multi-Modal Models",
        "Shayegani, Erfan and Dong, Yue and Abu-Ghazaleh, Nael",
        2023,
        "arXiv preprint",
        "Jailbreak in pieces: Compositional adversarial attacks on multi-modal language models",
    ),
    (
        "{SneakyPrompt}: Evaluating Robustness of Text-to-image Generative Models' Safety Filters",
        "Yang, Yuchen and Hui, Bo and Yuan, Haolin and Gong, Neil and Cao, Yinzhi",
        2023,
        "arXiv preprint",
        "Sneakyprompt: Jailbreaking text-to-image generative models",
    ),
    (
        "Prompt Injection Attacks and Defenses in {LLM}-Integrated Applications",
        "Liu, Yupei and Jia, Yuqi and Geng, Runpeng and Jia, Jinyuan and Gong, Neil Zhenqiang",
        2023,
        "arXiv preprint",
        "Formalizing and Benchmarking Prompt Injection Attacks and Defenses",
    ),
    (
        "Visual Adversarial Examples Jailbreak Large Language Models",
        "Qi, Xiangyu and Huang, Kaixuan and Panda, Ashwinee and Henderson, Peter and Wang, Mengdi and Mittal, Prateek",
        2023,
        "arXiv preprint",
        "Visual adversarial examples jailbreak aligned large language models",
    ),
]
# Synthetic near misses: a survey title with one content word swapped, by other authors, years apart.
SWAPS = {
    "language": "graph",
    "diffusion": "recurrent",
    "vision": "speech",
    "jailbreak": "rootkit",
    "adversarial": "federated",
    "backdoor": "frontdoor",
    "models": "forests",
    "attacks": "audits",
}


def _norm(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


def load_list() -> list[dict]:
    """Entries of the survey's paper list: title, authors (family, given), venue, year, arXiv, area."""
    enr = {}
    for r in yaml.safe_load((SRC / "enrichment" / "identifiers.yaml").read_text()):
        enr[_norm(r["title"])] = r
    lines = (SRC / "awesome-large-model-safety" / "README.md").read_text().splitlines()
    fam = sec = None
    out: dict[str, dict] = {}
    for i, ln in enumerate(lines):
        m = re.search(r'id="(ch\d)"', ln)
        if m:
            fam = CHAPTERS[m.group(1)]
        if ln.startswith("##### "):
            sec = ln[6:].strip()
        if ln.startswith("## 🥎"):
            break
        if not (ln.startswith("- ") and fam and sec and i + 2 < len(lines)):
            continue
        title = ln[2:].strip().rstrip(".").strip()
        raw = lines[i + 1].strip()[2:]
        etal = "others" in raw or "et al" in raw
        raw = raw.replace("**and others**", "").replace("*et al.*", "").replace("**and**", "")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        authors = list(zip(parts[0::2], parts[1::2] + [""] * len(parts), strict=False))
        venue = lines[i + 2].strip()[2:].strip()
        ym = re.search(r"(\d{4})\.?\s*$", venue)
        am = re.search(r"arXiv:(\d{4}\.\d{4,5})", venue)
        e = enr.get(_norm(title), {})
        key = _norm(title)
        if key in out or not ym or not authors:
            continue
        out[key] = dict(
            title=title,
            authors=authors,
            etal=etal,
            year=int(ym.group(1)),
            venue=re.sub(r"[*]|,?\s*\d{4}\.?$", "", venue).strip(),
            arxiv=(am.group(1) if am else None) or e.get("arxiv") or e.get("list_arxiv"),
            doi=e.get("doi"),
            area=f"{fam}: {sec}",
        )
    return list(out.values())


_LATEX = {
    "\u0301": "\\'",
    "\u0300": "\\`",
    "\u0308": '\\"',
    "\u0302": "\\^",
    "\u0303": "\\~",
    "\u030c": "\\v",
    "\u0327": "\\c",
    "\u0328": "\\k",
}


def latexify(text: str) -> str:
    """Non-ASCII letters as LaTeX accents ({\\'e}), as BibTeX exports write them."""
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        if len(d) == 2 and d[1] in _LATEX:
            cmd = _LATEX[d[1]]
            out.append("{" + cmd + ("{" + d[0] + "}" if cmd[-1].isalpha() else d[0]) + "}")
        elif ch == "ł":
            out.append("{\\l}")
        elif ch in "“”":
            out.append("``" if ch == "“" else "''")
        else:
            out.append(ch)
    return "".join(out).replace("&", "\\&")


def typo(title: str, rng: random.Random) -> str:
    words = title.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not idx:
        return title
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    else:
        w = w[:j] + ("e" if w[j] != "e" else "a") + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def brace(title: str) -> str:
    """Protect capitals as Zotero and Overleaf users do: {GPT}, {Vision} {Transformers}."""
    return re.sub(r"\b([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z][a-z]+)\b", r"{\1}", title)


def authors_field(p: dict, truncate: int | None = None, style: str = "last") -> str:
    names = p["authors"][:truncate] if truncate else p["authors"]
    if style == "first":
        txt = [f"{g} {f}".strip() for f, g in names]
    else:
        txt = [f"{f}, {g}".strip(", ") for f, g in names]
    out = " and ".join(latexify(n) for n in txt)
    if truncate and len(p["authors"]) > truncate or p["etal"]:
        out += " and others"
    return out


def entry(etype: str, key: str, fields: dict) -> str:
    body = ",\n".join(
        f"  {k} = {{{v}}}" if not str(v).isdigit() or k != "year" else f"  {k} = {v}"
        for k, v in fields.items()
        if v is not None
    )
    return f"@{etype}{{{key},\n{body}\n}}\n"


VARIANTS = [
    "lower",
    "braces",
    "latex",
    "typo",
    "subtitle",
    "yearshift",
    "truncated",
    "arxiv-url",
    "arxiv-journal",
    "typo+yearshift",
    "upper",
    "typo+truncated",
]


def labelled(papers: list[dict], rng: random.Random) -> tuple[str, dict]:
    chosen = rng.sample(papers, 180)
    bib, labels = [], {}
    for n, p in enumerate(chosen):
        kind = VARIANTS[n % len(VARIANTS)]
        if kind == "subtitle" and ":" not in p["title"]:
            kind = "typo"
        t, year, trunc, fields = p["title"], p["year"], None, {}
        if "typo" in kind:
            t = typo(t, rng)
        if kind == "lower":
            t = t.lower()
        elif kind == "upper":
            t = t.upper()
        elif kind == "braces":
            t = brace(t)
        elif kind == "latex":
            t = "\\textit{" + latexify(t).split(" ", 1)[0] + "} " + latexify(t).split(" ", 1)[-1]
        elif kind == "subtitle":
            t = t.split(":", 1)[0]
        if "yearshift" in kind:
            year += rng.choice([-1, 1])
        if "truncated" in kind:
            trunc = 1
        if kind == "arxiv-url" and p["arxiv"]:
            fields["url"] = f"https://arxiv.org/abs/{p['arxiv']}v{rng.randrange(1, 4)}"
        if kind == "arxiv-journal" and p["arxiv"]:
            fields["journal"] = f"arXiv preprint arXiv:{p['arxiv']}"
        key = f"pos{n:03d}"
        fields = {
            "title": t,
            "author": authors_field(p, trunc, "first" if n % 2 else "last"),
            "year": year,
            **fields,
        }
        bib.append(entry("article", key, fields))
        labels[key] = {"expect": p["title"], "variant": kind}
    known = {_norm(p["title"]) for p in papers}
    for n, (t, a, y, ax) in enumerate(NEGATIVES):
        key = f"neg{n:03d}"
        assert _norm(t.replace("{", "").replace("}", "")) not in known, t
        bib.append(
            entry(
                "inproceedings",
                key,
                {
                    "title": t,
                    "author": a,
                    "year": y,
                    "eprint": ax,
                    "archiveprefix": "arXiv" if ax else None,
                },
            )
        )
        labels[key] = {"expect": None, "variant": "well-known"}
    for n, p in enumerate(rng.sample(papers, 40)):
        words = p["title"].split(" ")
        hits = [i for i, w in enumerate(words) if w.lower() in SWAPS]
        if not hits:
            continue
        i = hits[0]
        words[i] = SWAPS[words[i].lower()]
        key = f"near{n:03d}"
        bib.append(
            entry(
                "article",
                key,
                {
                    "title": " ".join(words),
                    "author": "Doe, Jane and Roe, Richard",
                    "year": p["year"] - 3,
                },
            )
        )
        labels[key] = {"expect": None, "variant": "swapped-word"}
    for n, (t, a, y, venue, listed) in enumerate(RETITLED):
        key = f"ret{n:03d}"
        bib.append(entry("inproceedings", key, {"title": t, "author": a, "year": y, "booktitle": venue}))
        labels[key] = {"expect": listed, "variant": "retitled"}
    return "\n".join(bib), labels


# What the realistic bibliography's author works on: many of these areas, a few of others.
FOCUS = {
    "llm: Jailbreak Attack": 20,
    "llm: Prompt Injection Attacks": 8,
    "llm: Safety Alignment": 6,
    "vlm: Jailbreak Attacks": 8,
    "agent: Indirect Prompt Injection Attacks": 6,
    "agent: Agent Tool-Calling Attacks": 5,
    "llm: Backdoor Attacks": 8,
    "llm: Backdoor Defenses": 4,
    "llm: Data Extraction Attacks": 4,
    "dm: Jailbreak Attacks": 5,
    "agent: Agent Safety Benchmarks": 5,
    "llm: Jailbreak Defense": 6,
}
MACROS = {
    "neurips": "Advances in Neural Information Processing Systems",
    "iclr": "International Conference on Learning Representations",
    "icml": "International Conference on Machine Learning",
    "acl": "Proceedings of the Annual Meeting of the Association for Computational Linguistics",
}
MACRO_OF = {"NeurIPS": "neurips", "ICLR": "iclr", "ICML": "icml", "ACL": "acl"}


def _style_entry(n: int, p: dict, rng: random.Random) -> str:
    """One survey paper as Scholar, Zotero, DBLP or a hand-written Overleaf file would export it."""
    title, style = p["title"], n % 4
    if n % 9 == 4:
        title = typo(title, rng)
    elif n % 9 == 7 and ":" in title:
        title = title.split(":", 1)[0]
    arxiv = p["arxiv"]
    first = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", p["authors"][0][0]).lower())
    word = re.sub(r"[^a-z]", "", title.split()[0].lower()) or "x"
    venue = p["venue"]
    preprint = venue.lower().startswith("arxiv")
    if style == 0:  # Google Scholar
        f = {"title": title, "author": authors_field(p), "year": p["year"]}
        if preprint:
            f = {**f, "journal": f"arXiv preprint arXiv:{arxiv}" if arxiv else "arXiv preprint"}
            return entry("article", f"{first}{p['year']}{word}", f)
        return entry("inproceedings", f"{first}{p['year']}{word}", {**f, "booktitle": venue})
    if style == 1:  # Zotero (Better BibTeX)
        f = {
            "title": brace(title),
            "url": f"http://arxiv.org/abs/{arxiv}v{1 + n % 3}" if arxiv else None,
            "doi": f"10.48550/arXiv.{arxiv}" if arxiv and n % 2 else p["doi"],
            "urldate": "2025-03-02",
            "publisher": "arXiv" if preprint else None,
            "author": authors_field(p, 3 if n % 5 == 1 else None),
            "month": "feb",
            "year": p["year"] + (1 if n % 7 == 1 else 0),
            "note": f"arXiv:{arxiv} [cs]" if arxiv else None,
            "keywords": "Computer Science - Machine Learning, Computer Science - Cryptography and Security",
            "file": "arXiv Fulltext PDF:/home/me/Zotero/storage/ABCD1234/paper.pdf:application/pdf",
        }
        return entry("misc" if preprint else "inproceedings", f"{first}_{word}_{p['year']}", f)
    if style == 2:  # DBLP
        f = {
            "author": authors_field(p, style="first").replace(" and ", " and\n                  "),
            "title": title,
            "journal": "CoRR" if preprint else None,
            "volume": f"abs/{arxiv}" if preprint and arxiv else None,
            "booktitle": None if preprint else venue,
            "year": p["year"],
            "eprinttype": "arXiv" if arxiv else None,
            "eprint": arxiv,
            "timestamp": "Mon, 03 Mar 2025 12:00:00 +0100",
            "bibsource": "dblp computer science bibliography, https://dblp.org",
        }
        key = f"DBLP:{'journals/corr/abs-' + arxiv.replace('.', '-') if arxiv else 'conf/x/' + first.title() + str(p['year'] % 100)}"
        return entry("article" if preprint else "inproceedings", key, f).replace("\\n", "\n")
    # Overleaf, by hand: @string macros, LaTeX accents, doi when known
    macro = MACRO_OF.get(venue)
    f = {
        "author": authors_field(p, 2, "first"),
        "title": "{" + title + "}",
        "year": p["year"],
        "doi": p["doi"],
    }
    body = entry("inproceedings", f"{first}{p['year'] % 100}", f)
    if macro:
        body = body.replace("\n}\n", f",\n  booktitle = {macro}\n}}\n")
    return body


def _unique_key(e: str, keys: list[str] | set[str]) -> tuple[str, str]:
    """The entry with its key suffixed by 'b' until no earlier entry has it, and that key."""
    key = e.split("{", 1)[1].split(",", 1)[0]
    while key in keys:
        e = e.replace("{" + key + ",", "{" + key + "b,", 1)
        key += "b"
    return e, key


def write_realistic(papers: list[dict], rng: random.Random) -> None:
    """realistic.bib (~180 entries, four exporters' styles, focused on jailbreaks and injection), paper.aux, ids.txt."""
    by_area: dict[str, list[dict]] = {}
    for p in papers:
        by_area.setdefault(p["area"], []).append(p)
    chosen = []
    for area, k in FOCUS.items():
        pool = by_area[area]
        chosen += rng.sample(pool, min(k, len(pool)))
    others = [p for p in papers if p not in chosen]
    chosen += rng.sample(others, 25)
    parts = [
        "% Related work for a paper on jailbreaks and prompt injection; exported from several tools.\n",
        *(f'@string{{{k} = "{v}"}}\n' for k, v in MACROS.items()),
        "\n",
    ]
    keys = []
    for n, p in enumerate(chosen):
        e = _style_entry(n, p, rng)
        e, key = _unique_key(e, keys)
        keys.append(key)
        parts.append(e + "\n")
    for n, (t, a, y, ax) in enumerate(NEGATIVES):
        key = f"ext{n:02d}"
        keys.append(key)
        parts.append(
            entry(
                "article",
                key,
                {
                    "title": t,
                    "author": a,
                    "year": y,
                    "journal": f"arXiv preprint arXiv:{ax}" if ax else "Preprint",
                },
            )
            + "\n"
        )
    (HERE / "realistic.bib").write_text("".join(parts))
    cited = [k for i, k in enumerate(keys) if i % 5 != 3]
    aux = ["\\relax", "\\bibstyle{plain}"]
    for i in range(0, len(cited), 3):
        aux.append("\\citation{" + ",".join(cited[i : i + 3]) + "}")
    aux += ["\\bibdata{realistic}", "\\bibcite{x}{1}", "\\gdef \\@abspage@last{12}"]
    (HERE / "paper.aux").write_text("\n".join(aux) + "\n")
    ids = ["# arXiv ids and DOIs, one a line, in the forms people paste"]
    for n, p in enumerate([p for p in chosen if p["arxiv"]][:20]):
        ids.append(
            [
                p["arxiv"],
                f"arXiv:{p['arxiv']}v2",
                f"https://arxiv.org/abs/{p['arxiv']}",
                f"https://arxiv.org/pdf/{p['arxiv']}v1.pdf",
            ][n % 4]
        )
    ids += [p["doi"] for p in papers if p["doi"]][:5]
    ids += ["10.1038/nature14539", "1706.03762", "not-an-id"]
    (HERE / "ids.txt").write_text("\n".join(ids) + "\n")


# field.bib: the related work of a (fictional) paper on multimodal jailbreaks and guardrails for
# VLMs and text-to-image models, as such papers cite: survey papers of those areas (a few LLM ones,
# not GCG or PAIR), four of them renamed (RETITLED), and field papers the survey does not list
# (guard models, benchmarks, multi-turn attacks, the models attacked). Title prefixes of survey papers:
FIELD_SURVEY = [
    # VLM jailbreak attacks and defenses
    "Image hijacks", "Are aligned neural networks adversarially aligned", "Figstep",
    "Images are Achilles", "Visual-RolePlay", "Jailbreaking attack against multimodal",
    "Visual adversarial examples jailbreak", "IDEATOR", "Jailbreaking GPT-4V via self-adversarial",
    "ETA: Evaluating Then Aligning", "Eyes closed, safety on", "MLLM-Protector", "Adashield",
    "A mutation-based method for multi-modal", "BlueSuffix",
    # text-to-image jailbreak attacks and defenses
    "Red-teaming the stable diffusion safety filter", "Unsafe diffusion", "Prompting4debugging",
    "Mma-diffusion", "SurrogatePrompt", "Divide-and-Conquer Attack", "To generate or not",
    "Jailbreaking prompt attack", "RT-Attack", "Erasing concepts from diffusion models",
    "Unified concept editing", "Ablating concepts", "Forget-me-not", "Mace: Mass concept erasure",
    "Selective amnesia", "Safegen", "RACE: Robust Adversarial Concept Erasure",
    "Defensive Unlearning with Adversarial Training", "Receler", "Stable diffusion is unstable",
    # LLM jailbreaks, a few; alignment; prompt injection
    "Jailbroken: How Does LLM Safety Training Fail", "Do Anything Now", "MasterKey",
    "GPT-4 is Too Smart to be Safe", "Low-Resource Languages Jailbreak GPT-4",
    "Fine-tuning aligned language models compromises safety", "SmoothLLM",
    "Defensive Prompt Patch", "Baseline Defenses for Adversarial Attacks",
    "Training Language Models to Follow Instructions", "Constitutional AI",
    "Direct Preference Optimization", "Safe RLHF", "Red Teaming Language Models with Language Models",
    "Not What You've Signed Up For", "Ignore Previous Prompt", "(Ab) using Images and Sounds",
    "Injecagent", "BERT-ATTACK", "Agentdojo", "Caution for the environment",
    "Groot: Adversarial Testing", "Perception-guided jailbreak",
    "Jailbreaking Text-to-Image Models with LLM-Based Agents", "Towards safe self-distillation",
    "Implicit Concept Removal", "Promptguard", "Ethical-Lens", "Gradient Cuff",
    "Defending LLMs Against Jailbreaking Attacks via Backtranslation",
]
# Field papers outside the survey's list: (title, authors, year, venue).
FIELD_OUTSIDE = [
    ("Llama Guard: {LLM}-based Input-Output Safeguard for Human-{AI} Conversations", "Inan, Hakan and Upasani, Kartikeya and Chi, Jianfeng and Rungta, Rashi and Iyer, Krithika and Mao, Yuning and Tontchev, Michael and Hu, Qing and Fuller, Brian and Testuggine, Davide and Khabsa, Madian", 2023, "arXiv preprint"),
    ("Llama Guard 3 Vision: Safeguarding Human-{AI} Image Understanding Conversations", "Chi, Jianfeng and Karn, Ujjwal and Zhan, Hongyuan and Smith, Eric and Rando, Javier and Zhang, Yiming and Plawiak, Kate and Coudert, Zacharie Delpierre and Upasani, Kartikeya and Pasupuleti, Mahesh", 2024, "arXiv preprint"),
    ("{WildGuard}: Open One-Stop Moderation Tools for Safety Risks, Jailbreaks, and Refusals of {LLMs}", "Han, Seungju and Rao, Kavel and Ettinger, Allyson and Jiang, Liwei and Lin, Bill Yuchen and Lambert, Nathan and Choi, Yejin and Dziri, Nouha", 2024, "NeurIPS Datasets and Benchmarks Track"),
    ("{ShieldGemma}: Generative {AI} Content Moderation Based on {Gemma}", "Zeng, Wenjun and Liu, Yuchi and Mullins, Ryan and others", 2024, "arXiv preprint"),
    ("{AEGIS}: Online Adaptive {AI} Content Safety Moderation with Ensemble of {LLM} Experts", "Ghosh, Shaona and Varshney, Prasoon and Galinkin, Erick and Parisien, Christopher", 2024, "arXiv preprint"),
    ("{NeMo} Guardrails: A Toolkit for Controllable and Safe {LLM} Applications with Programmable Rails", "Rebedea, Traian and Dinu, Razvan and Sreedhar, Makesh and Parisien, Christopher and Cohen, Jonathan", 2023, "EMNLP System Demonstrations"),
    ("Safety Fine-Tuning at (Almost) No Cost: A Baseline for Vision Large Language Models", "Zong, Yongshuo and Bohdal, Ondrej and Yu, Tingyang and Yang, Yongxin and Hospedales, Timothy", 2024, "ICML"),
    ("{LlavaGuard}: An Open {VLM}-based Framework for Safeguarding Vision Datasets and Models", "Helff, Lukas and Friedrich, Felix and Brack, Manuel and Kersting, Kristian and Schramowski, Patrick", 2025, "ICML"),
    ("Constitutional Classifiers: Defending against Universal Jailbreaks across Thousands of Hours of Red Teaming", "Sharma, Mrinank and Tong, Meg and Mu, Jesse and others", 2025, "arXiv preprint"),
    ("Improving Alignment and Robustness with Circuit Breakers", "Zou, Andy and Phan, Long and Wang, Justin and Duenas, Derek and Lin, Maxwell and Andriushchenko, Maksym and Wang, Rowan and Kolter, Zico and Fredrikson, Matt and Hendrycks, Dan", 2024, "NeurIPS"),
    ("{RigorLLM}: Resilient Guardrails for Large Language Models against Undesired Content", "Yuan, Zhuowen and Xiong, Zidi and Zeng, Yi and Yu, Ning and Jia, Ruoxi and Song, Dawn and Li, Bo", 2024, "ICML"),
    ("{HarmBench}: A Standardized Evaluation Framework for Automated Red Teaming and Robust Refusal", "Mazeika, Mantas and Phan, Long and Yin, Xuwang and Zou, Andy and Wang, Zifan and Mu, Norman and Sakhaee, Elham and Li, Nathaniel and Basart, Steven and Li, Bo and Forsyth, David and Hendrycks, Dan", 2024, "ICML"),
    ("{JailbreakBench}: An Open Robustness Benchmark for Jailbreaking Large Language Models", "Chao, Patrick and Debenedetti, Edoardo and Robey, Alexander and Andriushchenko, Maksym and Croce, Francesco and Sehwag, Vikash and Dobriban, Edgar and Flammarion, Nicolas and Pappas, George J. and Tram{\\`e}r, Florian and Hassani, Hamed and Wong, Eric", 2024, "NeurIPS Datasets and Benchmarks Track"),
    ("A {StrongREJECT} for Empty Jailbreaks", "Souly, Alexandra and Lu, Qingyuan and Bowen, Dillon and others", 2024, "NeurIPS Datasets and Benchmarks Track"),
    ("{SORRY-Bench}: Systematically Evaluating Large Language Model Safety Refusal", "Xie, Tinghao and Qi, Xiangyu and Zeng, Yi and others", 2025, "ICLR"),
    ("{XSTest}: A Test Suite for Identifying Exaggerated Safety Behaviours in Large Language Models", "R{\\\"o}ttger, Paul and Kirk, Hannah Rose and Vidgen, Bertie and Attanasio, Giuseppe and Bianchi, Federico and Hovy, Dirk", 2024, "NAACL"),
    ("Do-Not-Answer: Evaluating Safeguards in {LLMs}", "Wang, Yuxia and Li, Haonan and Han, Xudong and Nakov, Preslav and Baldwin, Timothy", 2024, "Findings of EACL"),
    ("{BeaverTails}: Towards Improved Safety Alignment of {LLM} via a Human-Preference Dataset", "Ji, Jiaming and Liu, Mickel and Dai, Juntao and others", 2023, "NeurIPS Datasets and Benchmarks Track"),
    ("{MM-SafetyBench}: A Benchmark for Safety Evaluation of Multimodal Large Language Models", "Liu, Xin and Zhu, Yichen and Gu, Jindong and Lan, Yunshi and Yang, Chao and Qiao, Yu", 2024, "ECCV"),
    ("{JailBreakV}: A Benchmark for Assessing the Robustness of {MultiModal} Large Language Models against Jailbreak Attacks", "Luo, Weidi and Ma, Siyuan and Liu, Xiaogeng and Guo, Xiaoyu and Xiao, Chaowei", 2024, "COLM"),
    ("How Many Unicorns Are in This Image? A Safety Evaluation Benchmark for Vision {LLMs}", "Tu, Haoqin and Cui, Chenhang and Wang, Zijun and others", 2023, "arXiv preprint"),
    ("Benchmarking Trustworthiness of Multimodal Large Language Models: A Comprehensive Study", "Zhang, Yichi and Huang, Yao and Sun, Yitong and others", 2024, "NeurIPS Datasets and Benchmarks Track"),
    ("{DecodingTrust}: A Comprehensive Assessment of Trustworthiness in {GPT} Models", "Wang, Boxin and Chen, Weixin and Pei, Hengzhi and others", 2023, "NeurIPS"),
    ("{RealToxicityPrompts}: Evaluating Neural Toxic Degeneration in Language Models", "Gehman, Samuel and Gururangan, Suchin and Sap, Maarten and Choi, Yejin and Smith, Noah A.", 2020, "Findings of EMNLP"),
    ("{ToxiGen}: A Large-Scale Machine-Generated Dataset for Adversarial and Implicit Hate Speech Detection", "Hartvigsen, Thomas and Gabriel, Saadia and Palangi, Hamid and Sap, Maarten and Ray, Dipankar and Kamar, Ece", 2022, "ACL"),
    ("{TruthfulQA}: Measuring How Models Mimic Human Falsehoods", "Lin, Stephanie and Hilton, Jacob and Evans, Owain", 2022, "ACL"),
    ("Red Teaming Language Models to Reduce Harms: Methods, Scaling Behaviors, and Lessons Learned", "Ganguli, Deep and Lovitt, Liane and Kernion, Jackson and others", 2022, "arXiv preprint"),
    ("Training a Helpful and Harmless Assistant with Reinforcement Learning from Human Feedback", "Bai, Yuntao and Jones, Andy and Ndousse, Kamal and others", 2022, "arXiv preprint"),
    ("Great, Now Write an Article About That: The Crescendo Multi-Turn {LLM} Jailbreak Attack", "Russinovich, Mark and Salem, Ahmed and Eldan, Ronen", 2024, "arXiv preprint"),
    ("Many-shot Jailbreaking", "Anil, Cem and Durmus, Esin and Panickssery, Nina and others", 2024, "NeurIPS"),
    ("Jailbreaking Leading Safety-Aligned {LLMs} with Simple Adaptive Attacks", "Andriushchenko, Maksym and Croce, Francesco and Flammarion, Nicolas", 2025, "ICLR"),
    ("How {Johnny} Can Persuade {LLMs} to Jailbreak Them: Rethinking Persuasion to Challenge {AI} Safety by Humanizing {LLMs}", "Zeng, Yi and Lin, Hongpeng and Zhang, Jingwen and Yang, Diyi and Jia, Ruoxi and Shi, Weiyan", 2024, "ACL"),
    ("{DeepInception}: Hypnotize Large Language Model to Be Jailbreaker", "Li, Xuan and Zhou, Zhanke and Zhu, Jianing and Yao, Jiangchao and Liu, Tongliang and Han, Bo", 2023, "arXiv preprint"),
    ("Universal Jailbreak Backdoors from Poisoned Human Feedback", "Rando, Javier and Tram{\\`e}r, Florian", 2024, "ICLR"),
    ("Refusal in Language Models Is Mediated by a Single Direction", "Arditi, Andy and Obeso, Oscar and Syed, Aaquib and Paleka, Daniel and Panickssery, Nina and Gurnee, Wes and Nanda, Neel", 2024, "NeurIPS"),
    ("Shadow Alignment: The Ease of Subverting Safely-Aligned Language Models", "Yang, Xianjun and Wang, Xiao and Zhang, Qi and others", 2023, "arXiv preprint"),
    ("Safety Alignment Should Be Made More Than Just a Few Tokens Deep", "Qi, Xiangyu and Panda, Ashwinee and Lyu, Kaifeng and Ma, Xiao and Roy, Subhrajit and Beirami, Ahmad and Mittal, Prateek and Henderson, Peter", 2025, "ICLR"),
    ("Multi-step Jailbreaking Privacy Attacks on {ChatGPT}", "Li, Haoran and Guo, Dadi and Fan, Wei and others", 2023, "Findings of EMNLP"),
    ("Jailbreak and Guard Aligned Language Models with Only Few In-Context Demonstrations", "Wei, Zeming and Wang, Yifei and Li, Ang and Mo, Yichuan and Wang, Yisen", 2023, "arXiv preprint"),
    ("Defending {ChatGPT} against Jailbreak Attack via Self-Reminders", "Xie, Yueqi and Yi, Jingwei and Shao, Jiawei and Curl, Justin and Lyu, Lingjuan and Chen, Qifeng and Xie, Xing and Wu, Fangzhao", 2023, "Nature Machine Intelligence"),
    ("Detecting Language Model Attacks with Perplexity", "Alon, Gabriel and Kamfonas, Michael", 2023, "arXiv preprint"),
    ("{GuardReasoner}: Towards Reasoning-based {LLM} Safeguards", "Liu, Yue and Gao, Hongcheng and Zhai, Shengfang and others", 2025, "arXiv preprint"),
    ("Deliberative Alignment: Reasoning Enables Safer Language Models", "Guan, Melody Y. and Joglekar, Manas and Wallace, Eric and others", 2024, "arXiv preprint"),
    ("Representation Engineering: A Top-Down Approach to {AI} Transparency", "Zou, Andy and Phan, Long and Chen, Sarah and others", 2023, "arXiv preprint"),
    ("{AutoPrompt}: Eliciting Knowledge from Language Models with Automatically Generated Prompts", "Shin, Taylor and Razeghi, Yasaman and Logan IV, Robert L. and Wallace, Eric and Singh, Sameer", 2020, "EMNLP"),
    ("Universal Adversarial Triggers for Attacking and Analyzing {NLP}", "Wallace, Eric and Feng, Shi and Kandpal, Nikhil and Gardner, Matt and Singh, Sameer", 2019, "EMNLP"),
    ("Towards Deep Learning Models Resistant to Adversarial Attacks", "Madry, Aleksander and Makelov, Aleksandar and Schmidt, Ludwig and Tsipras, Dimitris and Vladu, Adrian", 2018, "ICLR"),
    ("Explaining and Harnessing Adversarial Examples", "Goodfellow, Ian J. and Shlens, Jonathon and Szegedy, Christian", 2015, "ICLR"),
    ("Intriguing properties of neural networks", "Szegedy, Christian and Zaremba, Wojciech and Sutskever, Ilya and others", 2014, "ICLR"),
    ("Ignore This Title and {HackAPrompt}: Exposing Systemic Vulnerabilities of {LLMs} through a Global Scale Prompt Hacking Competition", "Schulhoff, Sander and Pinto, Jeremy and Khan, Anaum and others", 2023, "EMNLP"),
    # the models attacked and the generators of images
    ("Visual Instruction Tuning", "Liu, Haotian and Li, Chunyuan and Wu, Qingyang and Lee, Yong Jae", 2023, "NeurIPS"),
    ("Improved Baselines with Visual Instruction Tuning", "Liu, Haotian and Li, Chunyuan and Li, Yuheng and Lee, Yong Jae", 2024, "CVPR"),
    ("Learning Transferable Visual Models From Natural Language Supervision", "Radford, Alec and Kim, Jong Wook and Hallacy, Chris and others", 2021, "ICML"),
    ("{MiniGPT-4}: Enhancing Vision-Language Understanding with Advanced Large Language Models", "Zhu, Deyao and Chen, Jun and Shen, Xiaoqian and Li, Xiang and Elhoseiny, Mohamed", 2024, "ICLR"),
    ("{InstructBLIP}: Towards General-purpose Vision-Language Models with Instruction Tuning", "Dai, Wenliang and Li, Junnan and Li, Dongxu and others", 2023, "NeurIPS"),
    ("{BLIP-2}: Bootstrapping Language-Image Pre-training with Frozen Image Encoders and Large Language Models", "Li, Junnan and Li, Dongxu and Savarese, Silvio and Hoi, Steven", 2023, "ICML"),
    ("{Qwen-VL}: A Versatile Vision-Language Model for Understanding, Localization, Text Reading, and Beyond", "Bai, Jinze and Bai, Shuai and Yang, Shusheng and others", 2023, "arXiv preprint"),
    ("Flamingo: a Visual Language Model for Few-Shot Learning", "Alayrac, Jean-Baptiste and Donahue, Jeff and Luc, Pauline and others", 2022, "NeurIPS"),
    ("{GPT-4} Technical Report", "{OpenAI}", 2023, "arXiv preprint"),
    ("Gemini: A Family of Highly Capable Multimodal Models", "{Gemini Team}", 2023, "arXiv preprint"),
    ("{LLaMA}: Open and Efficient Foundation Language Models", "Touvron, Hugo and Lavril, Thibaut and others", 2023, "arXiv preprint"),
    ("Llama 2: Open Foundation and Fine-Tuned Chat Models", "Touvron, Hugo and Martin, Louis and Stone, Kevin and others", 2023, "arXiv preprint"),
    ("The Llama 3 Herd of Models", "Grattafiori, Aaron and Dubey, Abhimanyu and Jauhri, Abhinav and others", 2024, "arXiv preprint"),
    ("Mistral {7B}", "Jiang, Albert Q. and Sablayrolles, Alexandre and Mensch, Arthur and others", 2023, "arXiv preprint"),
    ("Vicuna: An Open-Source Chatbot Impressing {GPT-4} with 90\\%* {ChatGPT} Quality", "Chiang, Wei-Lin and Li, Zhuohan and Lin, Zi and others", 2023, "LMSYS blog"),
    ("Judging {LLM}-as-a-Judge with {MT-Bench} and Chatbot Arena", "Zheng, Lianmin and Chiang, Wei-Lin and Sheng, Ying and others", 2023, "NeurIPS Datasets and Benchmarks Track"),
    ("Language Models are Few-Shot Learners", "Brown, Tom B. and Mann, Benjamin and Ryder, Nick and others", 2020, "NeurIPS"),
    ("Chain-of-Thought Prompting Elicits Reasoning in Large Language Models", "Wei, Jason and Wang, Xuezhi and others", 2022, "NeurIPS"),
    ("High-Resolution Image Synthesis with Latent Diffusion Models", "Rombach, Robin and Blattmann, Andreas and Lorenz, Dominik and Esser, Patrick and Ommer, Bj{\\\"o}rn", 2022, "CVPR"),
    ("{SDXL}: Improving Latent Diffusion Models for High-Resolution Image Synthesis", "Podell, Dustin and English, Zion and Lacey, Kyle and others", 2024, "ICLR"),
    ("Hierarchical Text-Conditional Image Generation with {CLIP} Latents", "Ramesh, Aditya and Dhariwal, Prafulla and Nichol, Alex and Chu, Casey and Chen, Mark", 2022, "arXiv preprint"),
    ("Photorealistic Text-to-Image Diffusion Models with Deep Language Understanding", "Saharia, Chitwan and Chan, William and others", 2022, "NeurIPS"),
    ("Denoising Diffusion Probabilistic Models", "Ho, Jonathan and Jain, Ajay and Abbeel, Pieter", 2020, "NeurIPS"),
    ("Classifier-Free Diffusion Guidance", "Ho, Jonathan and Salimans, Tim", 2022, "arXiv preprint"),
    ("{LAION-5B}: An open large-scale dataset for training next generation image-text models", "Schuhmann, Christoph and Beaumont, Romain and Vencu, Richard and others", 2022, "NeurIPS Datasets and Benchmarks Track"),
    # text-to-image safety outside the list
    ("{Ring-A-Bell}! How Reliable are Concept Removal Methods for Diffusion Models?", "Tsai, Yu-Lin and Hsu, Chia-Yi and Xie, Chulin and others", 2024, "ICLR"),
    ("Circumventing Concept Erasure Methods For Text-to-Image Generative Models", "Pham, Minh and Marshall, Kelly O. and Cohen, Niv and Mittal, Govind and Hegde, Chinmay", 2024, "ICLR"),
    ("{Safe-CLIP}: Removing {NSFW} Concepts from Vision-and-Language Models", "Poppi, Samuele and Poppi, Tobia and Cocchi, Federico and Cornia, Marcella and Baraldi, Lorenzo and Cucchiara, Rita", 2024, "ECCV"),
    ("Get What You Want, Not What You Don't: Image Content Suppression for Text-to-Image Diffusion Models", "Li, Senmao and van de Weijer, Joost and Hu, Taihang and others", 2024, "ICLR"),
    ("Fair Diffusion: Instructing Text-to-Image Generation Models on Fairness", "Friedrich, Felix and Brack, Manuel and Struppek, Lukas and others", 2023, "arXiv preprint"),
    ("{SEGA}: Instructing Text-to-Image Models using Semantic Guidance", "Brack, Manuel and Friedrich, Felix and Hintersdorf, Dominik and Struppek, Lukas and Schramowski, Patrick and Kersting, Kristian", 2023, "NeurIPS"),
    ("Can Machines Help Us Answering Question 16 in Datasheets, and In Turn Reflecting on Inappropriate Content?", "Schramowski, Patrick and Tauchmann, Christopher and Kersting, Kristian", 2022, "FAccT"),
    # foundations of the field's framing
    ("On the Opportunities and Risks of Foundation Models", "Bommasani, Rishi and Hudson, Drew A. and Adeli, Ehsan and others", 2021, "arXiv preprint"),
    ("Ethical and social risks of harm from Language Models", "Weidinger, Laura and Mellor, John and Rauh, Maribeth and others", 2021, "arXiv preprint"),
    ("Concrete Problems in {AI} Safety", "Amodei, Dario and Olah, Chris and Steinhardt, Jacob and Christiano, Paul and Schulman, John and Man{\\'e}, Dan", 2016, "arXiv preprint"),
    ("Sparks of Artificial General Intelligence: Early experiments with {GPT-4}", "Bubeck, S{\\'e}bastien and Chandrasekaran, Varun and Eldan, Ronen and others", 2023, "arXiv preprint"),
]


def write_field(papers: list[dict], rng: random.Random) -> None:
    """field.bib: the related work of a multimodal jailbreak paper (see FIELD_SURVEY)."""
    by_norm = {_norm(p["title"]): p for p in papers}
    chosen = []
    for prefix in FIELD_SURVEY:
        hits = [p for n, p in by_norm.items() if n.startswith(_norm(prefix))]
        assert hits, prefix
        # the list cuts a few author fields mid-accent ("Materzy{'n"): keep the whole names
        names = [a for a in hits[0]["authors"] if "".join(a).count("{") == "".join(a).count("}")]
        chosen.append({**hits[0], "authors": names})
    parts = [
        "% Related work of a paper on multimodal jailbreaks and guardrails (VLMs, text-to-image).\n",
        "% Generated by make_fixtures.py: survey papers, renamed versions of four, and field papers\n",
        "% outside the survey. Titles, authors, years and venues are the works' own.\n",
        *(f'@string{{{k} = "{v}"}}\n' for k, v in MACROS.items()),
        "\n",
    ]
    keys: set[str] = set()
    items = [("survey", p) for p in chosen]
    items += [("retitled", r) for r in RETITLED if "Visual Adversarial" not in r[0]]
    items += [("outside", o) for o in FIELD_OUTSIDE]
    rng.shuffle(items)
    for n, (kind, item) in enumerate(items):
        if kind == "survey":
            e = _style_entry(n, item, rng)
        else:
            title, authors, year, venue = item[:4]
            first = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", authors.split(",")[0]).lower())
            word = re.sub(r"[^a-z]", "", title.split()[0].lower()) or "x"
            fields = {"title": title, "author": authors, "year": year}
            if venue.startswith("arXiv") or venue.endswith("blog"):
                fields["howpublished" if venue.endswith("blog") else "journal"] = venue
                e = entry("misc" if venue.endswith("blog") else "article", f"{first}{year}{word}", fields)
            else:
                e = entry("inproceedings", f"{first}{year}{word}", {**fields, "booktitle": venue})
        e, key = _unique_key(e, keys)
        keys.add(key)
        parts.append(e + "\n")
    (HERE / "field.bib").write_text("".join(parts))


def main() -> None:
    rng = random.Random(20261128)
    papers = load_list()
    bib, labels = labelled(papers, rng)
    header = "% Labelled matching set, generated by make_fixtures.py; labels in labelled.json\n\n"
    (HERE / "labelled.bib").write_text(header + bib)
    (HERE / "labelled.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    write_realistic(papers, rng)
    write_field(papers, random.Random(20261201))


if __name__ == "__main__":
    main()

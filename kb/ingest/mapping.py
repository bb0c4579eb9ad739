"""The reviewed mapping from a paper list's labels (category file x model badge) to areas and topics.

The mapping lives in scripts/lm_ssp_mapping.yaml; its header says what each entry means. The importer
asks `place(entry)` for each paper; `kb check` asks `unmapped(...)` for the combinations the graph holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.graph import DataError

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "scripts" / "lm_ssp_mapping.yaml"
# model badges -> the mapping's key (a survey family's badge, or `other`)
MODEL_KEYS = {"LLM": "LLM", "VLM": "VLM", "Diffusion": "Diffusion"}
FAMILY_OF_KEY = {"LLM": "llm", "VLM": "vlm", "Diffusion": "dm", "agent": "agent"}
KINDS = ("attack", "areas", "topic", "open", "out")


@dataclass(frozen=True)
class Placement:
    """What the mapping says for one (category, key) of a paper."""

    category: str
    key: str
    kind: str  # "area" | "topic" | "open" | "out"
    targets: tuple[str, ...]  # concept ids (areas or topic.<slug>), or the family for "open"
    note: str = ""
    # for "open": the areas consistent with the labels (ids or globs such as `agent.*`) a classifier may
    # choose among; none when the survey has no area for them (the paper stays unplaced, `note` says why)
    candidates: tuple[str, ...] = ()
    # for "topic": True when the topic stands for a role the survey has no area for (e.g. VLM adversarial
    # defenses); such a topic places only the list's own papers, never one the survey placed already
    from_role: bool = False


def badge_keys(models: Iterable[str], tags: Iterable[str], category_entry: dict[str, Any]) -> list[str]:
    """The mapping keys of a paper: one per model badge (survey family or `other`), `none` without any;
    the Agent badge picks the category's `agent` entry instead where it has one."""
    for tag in tags:  # e.g. Agent, RAG: a category may route these to their own entry
        if tag.lower() in category_entry and tag.lower() not in ("reason", "other", "none"):
            return [tag.lower()]
    keys = sorted({MODEL_KEYS.get(m, "other") for m in models})
    return keys or ["none"]


def _word_starts(words: list[str]) -> re.Pattern[str]:
    """Any of the mapping's words (regular expressions) at the start of a title word; not after a
    hyphen ("API-Protected LLMs" names a victim, not a defense)."""
    return re.compile(r"(?<![-\w])(" + "|".join(words) + ")", re.I)


class Mapping:
    """scripts/lm_ssp_mapping.yaml, validated."""

    def __init__(self, path: Path = DEFAULT_PATH):
        self.path = path
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            reason = " ".join(str(exc).split())[:160]
            raise DataError(f"{path}: cannot read the mapping ({reason}); fix the file") from None
        if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
            raise DataError(f"{path}: expected `topics:` and `categories:` mappings; see its header comment")
        self.topics: dict[str, dict[str, str]] = data.get("topics") or {}
        self.categories: dict[str, dict[str, Any]] = data["categories"]
        self.defense_words = _word_starts(data.get("defense_words") or ["defense"])
        self.attack_words = _word_starts(data.get("attack_words") or ["(?!)"])
        for cat, entry in self.categories.items():
            for key, rule in entry.items():
                if key == "reason":
                    continue
                if not isinstance(rule, dict) or not set(rule) & set(KINDS) or len(set(rule) & set(KINDS)) > 1:
                    raise DataError(f"{path}: {cat} / {key}: give one of attack+defense, areas, topic, open, out")
                slugs = [rule["topic"]] if "topic" in rule else []
                slugs += [v["topic"] for v in (rule.get("attack"), rule.get("defense")) if isinstance(v, dict)]
                for slug in slugs:
                    if slug not in self.topics:
                        raise DataError(f"{path}: {cat} / {key}: topic '{slug}' is not under topics:")

    def areas(self) -> set[str]:
        """Every survey concept id the mapping names."""
        out: set[str] = set()
        for entry in self.categories.values():
            for key, rule in entry.items():
                if key != "reason":
                    out.update(a for a in (rule.get("attack"), rule.get("defense"), *rule.get("areas", []))
                               if isinstance(a, str))
        return out

    def keys_of(self, category: str, models: Iterable[str], tags: Iterable[str]) -> list[str]:
        return badge_keys(models, tags, self.categories.get(category, {}))

    def role(self, title: str, tags: Iterable[str]) -> tuple[str, str]:
        """'defense' with the Defense badge, or with a defense word in the title that no attack word comes
        before in the same part of the title ("Evasion Attacks Against Diffusion-Based Purification" attacks a
        defense); else 'attack'."""
        if "Defense" in tags:
            return "defense", "the list's Defense badge"
        m = self.defense_words.search(title)
        if m:
            # a title's lead-in is a name or a pun ("You Can't Steal Nothing: Mitigating ..."): the part
            # after its colon says what the paper does
            colon = title.rfind(": ", 0, m.start())
            a = self.attack_words.search(title, colon + 2 if colon >= 0 else 0, m.start())
            if a:
                return "attack", (f"the title word '{a.group(0)}' (attack_words of the mapping) before "
                                  f"'{m.group(0)}'")
            return "defense", f"the title word '{m.group(0)}' (defense_words of the mapping)"
        return "attack", "no Defense badge and no defense word in the title"

    def place(self, category: str, models: Iterable[str], tags: Iterable[str], title: str = "") -> list[Placement]:
        """The placements of a paper with these labels; raises DataError for an unmapped combination."""
        tags = list(tags)
        entry = self.categories.get(category, {})
        out = []
        for key in self.keys_of(category, models, tags):
            rule = entry.get(key)
            if rule is None:
                raise DataError(f"{self.path}: no entry for category '{category}', badge '{key}'; "
                                "map it or leave it out (out: reason)")
            if "attack" in rule:
                role, why = self.role(title, tags)
                area = rule.get(role)
                if isinstance(area, dict):  # {topic: slug}: the survey has no area for this role
                    out.append(Placement(category, key, "topic", (f"topic.{area['topic']}",),
                                         f"{role} by {why}; the survey has no {key} {role} area for {category}",
                                         from_role=True))
                elif area:
                    out.append(Placement(category, key, "area", (area,), f"{role} by {why}"))
                else:
                    out.append(Placement(category, key, "open", (FAMILY_OF_KEY.get(key, ""),),
                                         f"the survey has no {key} {role} area for {category}"))
            elif "areas" in rule:
                out.append(Placement(category, key, "area", tuple(rule["areas"])))
            elif "topic" in rule:
                out.append(Placement(category, key, "topic", (f"topic.{rule['topic']}",)))
            elif "open" in rule:
                family = rule.get("family") or FAMILY_OF_KEY.get(key, "")
                out.append(Placement(category, key, "open", (family,), str(rule["open"]),
                                     tuple(rule.get("candidates") or ())))
            else:
                out.append(Placement(category, key, "out", (), str(rule["out"])))
        return out

    def unmapped(self, combos: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (category, key) combinations that have no entry."""
        return sorted({(c, k) for c, k in combos if k not in self.categories.get(c, {})})

"""Trigger-word lint: does each subject's trigger stay rare, distinct and present?

Pure functions over caption text (no torch, no file reads): the dataset doctor reads the
caption files (first line, as sd-scripts does) and hands them over as `SubjectText`s.

A good trigger is 2-3 CLIP tokens that mean nothing yet (the reference case's `hxh` is
`h` + `xh</w>`), is the first tag of every caption of its subject, stays in front when
tags are shuffled, and appears nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from orchestrator.problems import Problem
from orchestrator.text.clip_tokenizer import (
    CONTEXT_LENGTH,
    WORD_END,
    BaseClipTokenizer,
    TokenizerUnavailable,
    load_clip_tokenizer,
)

WORDS_FILE = Path(__file__).parent / "data" / "common_words.txt"
CHUNK_TOKENS = CONTEXT_LENGTH - 2  # what one CLIP chunk holds between start and end
LONG_TRIGGER_TOKENS = 3  # more than this costs noticeable prompt budget
MAX_LISTED_FILES = 5  # files named in one aggregated message
MAX_FILE_PROBLEMS = 10  # per subject and check, before the rest is summarised
CLASS_WORD_MOSTLY = 0.5  # below this share of captions, a missing class word is a warning
# Tag-style captions name common classes with booru tags rather than the class word itself.
CLASS_TAGS: dict[str, tuple[str, ...]] = {
    "man": ("1boy", "male focus", "male", "men"),
    "boy": ("1boy", "male focus", "male", "boys"),
    "woman": ("1girl", "female focus", "female", "women"),
    "girl": ("1girl", "female focus", "female", "girls"),
    "person": ("1boy", "1girl", "1other", "solo", "people"),
    "dog": ("dog", "dogs", "puppy"),
    "cat": ("cat", "cats", "kitten"),
}

Verdict = Literal["rare", "long", "known-token", "common-word", "compound", "empty"]
_ORDINARY: frozenset[str] = frozenset({"common-word", "compound"})  # warnings; known-token is a note
_SOURCE_NAMES = {
    "english": "common English word",
    "danbooru": "common Danbooru tag",
    "prompt": "staple of Stable Diffusion prompts",
}


@dataclass(frozen=True)
class SubjectText:
    """What the lint needs to know about one subject."""

    name: str  # subject name, shown beside subjects[<index>]
    index: int  # position in the project's [[subjects]]
    trigger: str
    class_word: str | None = None
    keep_tokens: int = 1  # sd-scripts keep_tokens: leading comma-separated tags kept when shuffling
    captions: dict[str, str] = field(default_factory=dict)  # caption path -> first line of the file
    # Resolved subject/training shuffle_caption; True when unknown so position problems surface.
    shuffle_caption: bool = True

    @property
    def label(self) -> str:
        return f"subjects[{self.index}] ({self.name})"

    @property
    def location(self) -> str:
        return f"subjects[{self.index}].trigger"


@dataclass(frozen=True)
class TriggerReport:
    trigger: str
    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    verdict: Verdict
    reason: str = ""  # why the verdict is not "rare"; empty when it is
    suggestions: tuple[str, ...] = ()  # rarer spellings, offered for ordinary triggers

    @property
    def token_count(self) -> int:
        return len(self.ids)

    @property
    def is_ordinary(self) -> bool:
        return self.verdict in _ORDINARY


# ---------------------------------------------------------------- words and tags


@lru_cache(maxsize=1)
def common_words() -> dict[str, tuple[str, ...]]:
    """Normalised word or tag -> the lists it is on ("english", "danbooru")."""
    words: dict[str, tuple[str, ...]] = {}
    section = ""
    for line in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key = normalise(line)
        if section not in words.get(key, ()):
            words[key] = (*words.get(key, ()), section)
    return words


def normalise(text: str) -> str:
    """Case-insensitive, `_` as space, runs of whitespace as one space."""
    return " ".join(text.replace("_", " ").lower().split())


def caption_text(file_text: str) -> str:
    """What sd-scripts trains on from a caption file: its first line, stripped."""
    lines = file_text.splitlines()
    return lines[0].strip() if lines else ""


def split_tags(caption: str) -> list[str]:
    """Normalised comma-separated tags, empty ones kept so indexes match sd-scripts' keep_tokens."""
    return [normalise(tag) for tag in caption.strip().split(",")]


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+(?:'[^\W_]+)*", normalise(text)))


def mentions(tag: str, phrase: str) -> bool:
    """Whether `tag` is `phrase` or holds it as whole words (`hxh` in `hxh smiling`)."""
    needle, hay = _words(phrase), _words(tag)
    if not needle:
        return False
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def _tag_index(tags: list[str], phrase: str) -> int | None:
    return next((i for i, tag in enumerate(tags) if mentions(tag, phrase)), None)


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: a swap of neighbours (`captoin`) counts as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _listed(paths: list[str]) -> str:
    shown = ", ".join(paths[:MAX_LISTED_FILES])
    more = len(paths) - MAX_LISTED_FILES
    return f"{shown} (+{more} more)" if more > 0 else shown


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _share(count: int, total: int) -> str:
    return f"{count} of {total} captions ({100 * count / total:.0f} %)"


# ---------------------------------------------------------------- one trigger


def _is_word(text: str) -> bool:
    return len(text) >= 2 and text in common_words()


def _assess(trigger: str, tokenizer: BaseClipTokenizer) -> TriggerReport:
    """The report without suggestions; `reason` gives every way the trigger is not rare."""
    tokens = tokenizer.tokens(trigger)
    ids, pieces = tuple(t.id for t in tokens), tuple(t.piece for t in tokens)
    key = normalise(trigger)
    reasons: list[tuple[Verdict, str]] = []  # strongest first
    if key in common_words():
        kinds = " and ".join(_SOURCE_NAMES.get(s, s) for s in common_words()[key])
        reasons.append(("common-word", f"it is a {kinds}"))
    bodies = [p.removesuffix(WORD_END) for p in pieces]
    if len(pieces) > 1 and all(_is_word(b) for b in bodies):
        reasons.append(("compound", f"its pieces are all words ({' + '.join(bodies)})"))
    if len(tokens) == 1 and tokens[0].is_word_end:
        # CLIP's BPE only kept whole strings frequent in its training text: this one has a meaning.
        reasons.append(("known-token", f"CLIP has it as one whole-word token ({pieces[0]}, id {ids[0]})"))
    if not tokens:
        verdict: Verdict = "empty"
    elif reasons:
        verdict = reasons[0][0]
    else:
        verdict = "long" if len(tokens) > LONG_TRIGGER_TOKENS else "rare"
    return TriggerReport(trigger, ids, pieces, verdict, "; ".join(r for _, r in reasons))


def suggest_triggers(trigger: str, tokenizer: BaseClipTokenizer, limit: int = 3) -> tuple[str, ...]:
    """Rare spellings derived from the trigger (`captain` -> `cptn`, `cxc`): 2-3 tokens, no word."""
    base = re.sub(r"[^a-z]", "", trigger.lower()) or "trg"
    skeleton = base[0] + re.sub(r"[aeiouy]", "", base[1:])
    candidates = [
        skeleton, f"{base[0]}x{base[0]}", f"{skeleton}x", f"{base[0]}x{skeleton[-1]}",
        f"{skeleton[:2]}x{skeleton[:2]}", f"zk{base[:4]}", f"{base[:3]}zk",
    ]
    found: list[str] = []
    for cand in dict.fromkeys(candidates):
        if cand == base or len(cand) < 3:
            continue
        report = _assess(cand, tokenizer)
        if report.verdict == "rare" and report.token_count >= 2:
            found.append(cand)
        if len(found) == limit:
            break
    return tuple(found)


def describe_trigger(trigger: str, tokenizer: BaseClipTokenizer | None = None) -> TriggerReport:
    """Token count, pieces, ids and a verdict; a trigger that is not rare comes with suggestions.

    Raises `TokenizerUnavailable` when no offline CLIP tokenizer is installed.
    """
    tok = tokenizer or load_clip_tokenizer()
    report = _assess(trigger, tok)
    if report.reason:
        report = replace(report, suggestions=suggest_triggers(trigger, tok))
    return report


def _trigger_problems(subject: SubjectText, tok: BaseClipTokenizer) -> list[Problem]:
    report = describe_trigger(subject.trigger, tok)
    where, trig = subject.location, subject.trigger
    ids = " ".join(str(i) for i in report.ids)
    others = ", ".join(f"'{s}'" for s in report.suggestions) or "'hxh' (letters that form no word)"
    problems = [
        Problem(
            where,
            f"'{trig}' is {_count(report.token_count, 'CLIP token')} ({' + '.join(report.pieces)}; ids {ids})",
            severity="info",
            code="trigger-tokens",
        )
    ]
    if report.is_ordinary:
        problems.append(
            Problem(
                where,
                f"'{trig}' already means something to the text encoder: {report.reason}",
                f"Pick a rare token such as {others}, so the LoRA neither fights nor overwrites that meaning",
                severity="warning",
                code=f"trigger-{report.verdict}",
            )
        )
    elif report.verdict == "known-token":
        problems.append(
            Problem(
                where,
                f"'{trig}' may already mean something: {report.reason}",
                f"Check what a prompt with '{trig}' alone makes on the base model, "
                f"or use a rarer spelling such as {others}",
                severity="info",
                code="trigger-known-token",
            )
        )
    if report.token_count > LONG_TRIGGER_TOKENS:
        problems.append(
            Problem(
                where,
                f"'{trig}' costs {report.token_count} of the {CHUNK_TOKENS} tokens of every prompt",
                "A trigger of 2-3 tokens leaves more of the prompt to everything else",
                severity="info",
                code="trigger-long",
            )
        )
    return problems


# ---------------------------------------------------------------- captions of one subject


def _coverage_problems(subject: SubjectText) -> list[Problem]:
    captions = subject.captions
    missing = [path for path, text in captions.items() if _tag_index(split_tags(text), subject.trigger) is None]
    if not captions or not missing:
        return []
    present = len(captions) - len(missing)
    return [
        Problem(
            subject.location,
            f"'{subject.trigger}' is in {_share(present, len(captions))}; missing from {_listed(missing)}",
            f"Add '{subject.trigger}' as the first tag of those captions, "
            "or those images teach the base model instead of the trigger",
            severity="warning",
            code="trigger-coverage",
        )
    ]


def _position_problems(subject: SubjectText) -> list[Problem]:
    keep, trig = subject.keep_tokens, subject.trigger
    shuffled: list[str] = []  # trigger outside the kept front, so shuffling moves it
    not_first: list[str] = []
    for path, text in subject.captions.items():
        index = _tag_index(split_tags(text), trig)
        if index is None or (index == 0 and keep > 0):
            continue
        if subject.shuffle_caption and index >= keep:
            shuffled.append(f"{path} (tag {index + 1})")
        elif index > 0:
            not_first.append(f"{path} (tag {index + 1})")
    problems = []
    if shuffled and keep == 0:
        problems.append(
            Problem(
                f"subjects[{subject.index}].keep_tokens",
                f"captions are shuffled with keep_tokens = 0, "
                f"so '{trig}' moves around in {_count(len(shuffled), 'caption')}",
                f"Put '{trig}' first in every caption and set keep_tokens = 1",
                severity="warning",
                code="trigger-shuffled",
            )
        )
    elif shuffled:
        problems.append(
            Problem(
                subject.location,
                f"'{trig}' is outside the first {_count(keep, 'tag')} kept by keep_tokens, "
                f"so shuffling moves it, in {_listed(shuffled)}",
                f"Move '{trig}' to the front of those captions (or raise keep_tokens)",
                severity="warning",
                code="trigger-shuffled",
            )
        )
    if not_first:
        problems.append(
            Problem(
                subject.location,
                f"'{trig}' is not the first tag in {_listed(not_first)}",
                f"Put '{trig}' first, as in the rest of the kohya-style captions",
                severity="info",
                code="trigger-not-first",
            )
        )
    return problems


def _class_names(word: str) -> tuple[str, ...]:
    """The class word and the booru tags that name the same class in tag-style captions."""
    key = normalise(word)
    return (key, *CLASS_TAGS.get(key, ()))


def _class_word_problems(subject: SubjectText) -> list[Problem]:
    word, captions = subject.class_word, subject.captions
    if not word or not captions:
        return []
    names = _class_names(word)
    present = sum(any(mentions(tag, n) for tag in split_tags(text) for n in names) for text in captions.values())
    if present == len(captions):
        return []
    shown = f"'{word}'" + (f" (or {', '.join(names[1:])})" if len(names) > 1 else "")
    return [
        Problem(
            f"subjects[{subject.index}].class_word",
            f"class word {shown} is in {_share(present, len(captions))}",
            f"Add it after the trigger ('{subject.trigger}, {word}, …') so the trigger is learned as "
            f"a kind of {word}, or clear class_word if the captions name the class another way",
            severity="warning" if present / len(captions) < CLASS_WORD_MOSTLY else "info",
            code="class-word-coverage",
        )
    ]


def _capped(problems: list[Problem], subject: SubjectText, what: str) -> list[Problem]:
    """Per-file problems up to MAX_FILE_PROBLEMS, then one line for the rest."""
    if len(problems) <= MAX_FILE_PROBLEMS:
        return problems
    rest = problems[MAX_FILE_PROBLEMS:]
    summary = Problem(
        subject.location,
        f"{_count(len(rest), 'more caption')} of {subject.label} with {what}",
        rest[0].fix,
        severity=rest[0].severity,
        code=rest[0].code,
    )
    return [*problems[:MAX_FILE_PROBLEMS], summary]


def is_typo(candidate: str, trigger: str) -> bool:
    """One edit from the trigger (two for triggers of 6+ letters); for a 2-3 letter trigger
    only an added, dropped or swapped letter, since one substitution there is just another word."""
    limit = 2 if len(trigger) >= 6 else 1
    if candidate == trigger or abs(len(candidate) - len(trigger)) > limit:
        return False
    if len(trigger) <= 3 and len(candidate) == len(trigger) and sorted(candidate) != sorted(trigger):
        return False
    return edit_distance(candidate, trigger) <= limit


def _typo_problems(subject: SubjectText, triggers: dict[str, SubjectText]) -> list[Problem]:
    """Tags that look like a misspelt trigger of any subject (`hxhh`, `uscaptoin`)."""
    known = set(triggers) | {normalise(subject.class_word or "")}
    problems = []
    for path, text in subject.captions.items():
        seen: set[str] = set()
        for tag in split_tags(text):
            for cand in sorted({tag, *_words(tag)} - known - seen):
                seen.add(cand)
                if len(cand) < 2 or cand in common_words():
                    continue  # an ordinary word is a different tag, not a misspelt trigger
                problems += [
                    Problem(
                        path,
                        f"tag '{cand}' looks like a typo of '{owner.trigger}', the trigger of {owner.label}",
                        f"Replace it with '{owner.trigger}'",
                        severity="warning",
                        code="trigger-typo",
                    )
                    for trig, owner in triggers.items()
                    if is_typo(cand, trig)
                ]
    return _capped(problems, subject, "a misspelt trigger")


def _length_problems(subject: SubjectText, tok: BaseClipTokenizer, max_token_length: int) -> list[Problem]:
    if max_token_length < 225:
        fix = f"Shorten it, or set training.max_token_length = {max_token_length + CHUNK_TOKENS} or 225"
    else:
        fix = "Shorten it: 225 tokens is sd-scripts' longest caption"
    problems = []
    for path, text in subject.captions.items():
        count = len(tok.encode(text))
        if count > max_token_length:
            problems.append(
                Problem(
                    path,
                    f"caption is {count} CLIP tokens; sd-scripts keeps the first {max_token_length} and drops the rest",
                    fix,
                    severity="warning",
                    code="caption-too-long",
                )
            )
    return _capped(problems, subject, f"captions over {max_token_length} tokens")


# ---------------------------------------------------------------- across subjects


def _collision_problems(subjects: list[SubjectText]) -> list[Problem]:
    problems = []
    for a in subjects:
        for b in subjects:
            if a is b:
                continue
            ta, tb = normalise(a.trigger), normalise(b.trigger)
            if ta == tb and a.index < b.index:
                problems.append(
                    Problem(
                        b.location,
                        f"'{b.trigger}' is also the trigger of {a.label}",
                        "Give each concept its own trigger, or merge the two subjects if they are one concept",
                        severity="warning",
                        code="trigger-duplicate",
                    )
                )
            elif ta != tb and ta in tb:
                problems.append(
                    Problem(
                        b.location,
                        f"'{b.trigger}' contains {a.label}'s trigger '{a.trigger}'",
                        "Pick triggers that do not contain each other, so prompting one does not half-invoke the other",
                        severity="warning",
                        code="trigger-overlap",
                    )
                )
            if ta != tb:
                problems += _foreign_mentions(a, b)
    return problems


def _foreign_mentions(owner: SubjectText, other: SubjectText) -> list[Problem]:
    """`owner`'s trigger used as a tag in `other`'s captions ties the two concepts together."""
    found = [p for p, text in other.captions.items() if _tag_index(split_tags(text), owner.trigger) is not None]
    if not found:
        return []
    return [
        Problem(
            owner.location,
            f"'{owner.trigger}' also appears in {_count(len(found), 'caption')} of {other.label}: {_listed(found)}",
            "Remove it from those captions unless the image really shows both concepts",
            severity="warning",
            code="trigger-in-other-captions",
        )
    ]


# ---------------------------------------------------------------- entry point


def lint_triggers(
    subjects: list[SubjectText],
    tokenizer: BaseClipTokenizer | None = None,
    max_token_length: int = CHUNK_TOKENS,
) -> list[Problem]:
    """Every trigger-word finding for a project's subjects, grouped by subject.

    `max_token_length` is training.max_token_length (75, 150 or 225). Without an offline
    CLIP tokenizer the token checks are skipped with one info line saying what to install.
    """
    problems: list[Problem] = []
    tok = tokenizer
    if tok is None:
        try:
            tok = load_clip_tokenizer()
        except TokenizerUnavailable as exc:
            problems.append(Problem("", f"token checks skipped: {exc}", severity="info", code="tokenizer-unavailable"))
    triggers = {normalise(s.trigger): s for s in reversed(subjects)}  # first subject wins a duplicate
    for subject in subjects:
        if tok is not None:
            problems += _trigger_problems(subject, tok)
        problems += _coverage_problems(subject)
        problems += _position_problems(subject)
        problems += _typo_problems(subject, triggers)
        problems += _class_word_problems(subject)
        if tok is not None:
            problems += _length_problems(subject, tok, max_token_length)
    return problems + _collision_problems(subjects)

"""Trigger-word lint: rare triggers, collisions, coverage, position, typos, class words, length."""

from __future__ import annotations

import importlib.util
import re

import pytest

from orchestrator.text import trigger_lint
from orchestrator.text.clip_tokenizer import BaseClipTokenizer, TokenizerUnavailable
from orchestrator.text.trigger_lint import (
    WORDS_FILE,
    SubjectText,
    caption_text,
    common_words,
    describe_trigger,
    edit_distance,
    lint_triggers,
    mentions,
    split_tags,
)


needs_clip = pytest.mark.skipif(
    importlib.util.find_spec("instant_clip_tokenizer") is None, reason="exact CLIP ids need instant-clip-tokenizer"
)

# The reference case's hand-edited captions (seed-case.md).
ME = {
    "me/001.txt": "hxh, 1boy, male_focus, glasses",
    "me/002.txt": "hxh, 1boy, male_focus, smile, outdoors",
    "me/003.txt": "hxh, 1boy, glasses, upper body",
}
CAPTAIN = {
    "cap/001.txt": "uscaption, 1boy, male_focus, muscular build, superhero outfit, star emblem, shield, gloves",
    "cap/002.txt": "uscaption, 1boy, heroic, brave, battle-ready, confident posture, upper body",
    "cap/003.txt": "uscaption, 1boy, superhero outfit, star emblem, full-body pose, action stance",
}


class WordTokenizer(BaseClipTokenizer):
    """One token a word or symbol: enough for the caption checks where CLIP is not installed."""

    backend = "test"

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def encode(self, text: str) -> list[int]:
        return [self._ids.setdefault(w, len(self._ids)) for w in re.findall(r"\w+|[^\w\s]", text.lower())]

    def piece(self, token_id: int) -> str:
        return next(w for w, i in self._ids.items() if i == token_id) + "</w>"


@pytest.fixture
def tok() -> BaseClipTokenizer:
    """The real CLIP tokenizer where it is installed, else the word tokenizer."""
    try:
        return trigger_lint.load_clip_tokenizer()
    except TokenizerUnavailable:
        return WordTokenizer()


def subject(index=0, trigger="hxh", captions=None, name=None, **kw) -> SubjectText:
    return SubjectText(name or f"s{index}", index, trigger, captions=dict(ME if captions is None else captions), **kw)


def codes(problems, severity=None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def only(problems, code):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.line() for p in problems]
    return found[0]


# ---------------------------------------------------------------- helpers


def test_tags_normalise_case_underscores_and_spaces():
    assert split_tags(" HXH, male_focus ,,Upper  Body") == ["hxh", "male focus", "", "upper body"]
    assert mentions("hxh smiling", "HXH") and mentions("male_focus", "male focus")
    assert not mentions("hxhh", "hxh") and not mentions("", "hxh")
    assert caption_text("hxh, 1boy\nsecond line ignored by sd-scripts\n") == "hxh, 1boy"


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("uscaptoin", "uscaption") == 1
    assert edit_distance("hxhh", "hxh") == 1
    assert edit_distance("hxh", "hxh") == 0
    assert edit_distance("kitten", "sitting") == 3


def test_word_list_is_compact_and_sourced():
    text = WORDS_FILE.read_text(encoding="utf-8")
    assert WORDS_FILE.stat().st_size < 200_000
    assert "wordfreq" in text and "danbooru.csv" in text  # sources named in the header
    words = common_words()
    assert len(words) > 5000
    assert "english" in words["captain"] and "danbooru" in words["male focus"]
    assert "hxh" not in words and "uscaption" not in words


# ---------------------------------------------------------------- one trigger


@needs_clip
@pytest.mark.parametrize("trigger", ["hxh", "uscaption"])
def test_reference_triggers_are_rare(trigger):
    report = describe_trigger(trigger)
    assert report.verdict == "rare" and not report.reason and not report.suggestions
    assert report.token_count in (2, 3)


@needs_clip
def test_reference_trigger_ids():
    assert describe_trigger("hxh").ids == (71, 45771)
    assert describe_trigger("uscaption").pieces == ("usc", "ap", "tion</w>")


@needs_clip
@pytest.mark.parametrize("trigger", ["man", "captain"])
def test_ordinary_words_are_flagged_with_the_reason(trigger):
    report = describe_trigger(trigger)
    assert report.verdict == "common-word" and report.is_ordinary
    assert "common English word" in report.reason and "one whole-word token" in report.reason
    assert report.suggestions and all(describe_trigger(s).verdict == "rare" for s in report.suggestions)
    problem = only(lint_triggers([subject(trigger=trigger, captions={})]), "trigger-common-word")
    assert problem.severity == "warning" and problem.location == "subjects[0].trigger"
    assert "already means something to the text encoder" in problem.message
    assert "rare token such as" in problem.fix and report.suggestions[0] in problem.fix


@needs_clip
def test_danbooru_tag_and_compound_triggers_are_flagged():
    assert "Danbooru tag" in describe_trigger("long_hair").reason
    compound = describe_trigger("redcar")
    assert compound.verdict == "compound" and "red + car" in compound.reason
    assert codes(lint_triggers([subject(trigger="redcar", captions={})]), "warning") == ["trigger-compound"]


@needs_clip
def test_a_rare_whole_word_token_is_only_a_note():
    problems = lint_triggers([subject(trigger="sks", captions={})])
    assert only(problems, "trigger-known-token").severity == "info"
    assert codes(problems, "warning") == []


@needs_clip
def test_long_triggers_cost_prompt_budget():
    problems = lint_triggers([subject(trigger="xyzzyplughfoo", captions={})])
    assert "5 of the 75 tokens" in only(problems, "trigger-long").message
    assert "trigger-long" not in codes(lint_triggers([subject(captions={})]))


@needs_clip
def test_token_report_is_an_info_line():
    problem = only(lint_triggers([subject(captions={})]), "trigger-tokens")
    assert problem.line() == "subjects[0].trigger: 'hxh' is 2 CLIP tokens (h + xh</w>; ids 71 45771)"


# ---------------------------------------------------------------- the reference project is clean


@needs_clip
def test_reference_case_has_no_warnings():
    problems = lint_triggers(
        [subject(0, "hxh", ME, "face", class_word="man"), subject(1, "uscaption", CAPTAIN, "captain", class_word="man")]
    )
    assert codes(problems, "warning") == [] and codes(problems, "error") == []
    assert codes(problems) == ["trigger-tokens", "trigger-tokens"]


# ---------------------------------------------------------------- collisions


def test_same_trigger_twice_is_a_collision(tok):
    problems = lint_triggers([subject(0), subject(1, "HXH", name="again")], tok)
    problem = only(problems, "trigger-duplicate")
    assert problem.location == "subjects[1].trigger" and "subjects[0] (s0)" in problem.message


def test_one_trigger_inside_another_is_a_collision(tok):
    problems = lint_triggers([subject(0), subject(1, "hxhman", {"x.txt": "hxhman, 1boy"})], tok)
    assert "contains subjects[0] (s0)'s trigger 'hxh'" in only(problems, "trigger-overlap").message


def test_trigger_used_in_another_subjects_captions(tok):
    captain = dict(CAPTAIN, **{"cap/004.txt": "uscaption, hxh, shield"})
    problems = lint_triggers([subject(0, "hxh", ME), subject(1, "uscaption", captain)], tok)
    problem = only(problems, "trigger-in-other-captions")
    assert problem.location == "subjects[0].trigger" and "cap/004.txt" in problem.message


def test_distinct_triggers_do_not_collide(tok):
    problems = lint_triggers([subject(0, "hxh", ME), subject(1, "uscaption", CAPTAIN)], tok)
    assert not {"trigger-duplicate", "trigger-overlap", "trigger-in-other-captions"} & set(codes(problems))


# ---------------------------------------------------------------- coverage and position


def test_captions_missing_the_trigger_are_listed(tok):
    captions = dict(ME, **{f"me/x{i}.txt": "1boy, glasses" for i in range(7)})
    problem = only(lint_triggers([subject(captions=captions)], tok), "trigger-coverage")
    assert problem.severity == "warning"
    assert "3 of 10 captions (30 %)" in problem.message
    assert "me/x0.txt" in problem.message and "me/x5.txt" not in problem.message and "(+2 more)" in problem.message
    assert "trigger-coverage" not in codes(lint_triggers([subject()], tok))


def test_trigger_shuffled_away_from_the_kept_front(tok):
    captions = dict(ME, **{"me/004.txt": "1boy, Hxh, smile"})
    problem = only(lint_triggers([subject(captions=captions, keep_tokens=1)], tok), "trigger-shuffled")
    assert problem.severity == "warning" and "me/004.txt (tag 2)" in problem.message
    assert "trigger-shuffled" not in codes(lint_triggers([subject(keep_tokens=1)], tok))


def test_trigger_inside_keep_tokens_but_not_first_is_a_note(tok):
    captions = dict(ME, **{"me/004.txt": "1boy, hxh, smile"})
    problems = lint_triggers([subject(captions=captions, keep_tokens=2)], tok)
    assert "trigger-shuffled" not in codes(problems)
    assert only(problems, "trigger-not-first").severity == "info"


def test_unshuffled_captions_only_note_the_position(tok):
    captions = dict(ME, **{"me/004.txt": "1boy, hxh, smile"})
    problems = lint_triggers([subject(captions=captions, keep_tokens=1, shuffle_caption=False)], tok)
    assert "trigger-shuffled" not in codes(problems) and "trigger-not-first" in codes(problems)


def test_shuffling_with_keep_tokens_zero_moves_the_trigger(tok):
    problems = lint_triggers([subject(keep_tokens=0)], tok)
    problem = only(problems, "trigger-shuffled")
    assert problem.location == "subjects[0].keep_tokens" and "keep_tokens = 1" in problem.fix
    assert "trigger-shuffled" not in codes(lint_triggers([subject(keep_tokens=0, shuffle_caption=False)], tok))


# ---------------------------------------------------------------- typos


def test_typo_variants_of_the_trigger_are_named_by_file(tok):
    me = dict(ME, **{"me/004.txt": "hxhh, 1boy"})
    captain = dict(CAPTAIN, **{"cap/004.txt": "USCAPTOIN, 1boy, shield"})
    problems = lint_triggers([subject(0, "hxh", me), subject(1, "uscaption", captain)], tok)
    typos = {p.location: p for p in problems if p.code == "trigger-typo"}
    assert set(typos) == {"me/004.txt", "cap/004.txt"}
    assert "'uscaptoin'" in typos["cap/004.txt"].message and typos["cap/004.txt"].fix == "Replace it with 'uscaption'"


def test_words_and_other_triggers_are_not_typos(tok):
    # `hat` is a word, `hah` a different 3-letter string, `hxj` the other subject's trigger
    me = dict(ME, **{"me/004.txt": "hxh, hat, hah, hxj, hxh smiling"})
    problems = lint_triggers([subject(0, "hxh", me), subject(1, "hxj", {"o.txt": "hxj, 1girl"})], tok)
    assert "trigger-typo" not in codes(problems)


@pytest.mark.parametrize(
    ("candidate", "trigger", "expected"),
    [
        ("hxhh", "hxh", True),  # added letter
        ("hx", "hxh", True),  # dropped letter
        ("hhx", "hxh", True),  # swapped letters
        ("hah", "hxh", False),  # a substitution in a 3-letter trigger is just another string
        ("hxh", "hxh", False),
        ("uscaptoin", "uscaption", True),
        ("uscaptn", "uscaption", True),  # two edits allowed from 6 letters on
        ("uscapshun", "uscaption", False),
    ],
)
def test_what_counts_as_a_typo(candidate, trigger, expected):
    assert trigger_lint.is_typo(candidate, trigger) is expected


def test_many_typos_are_summarised(tok):
    captions = {f"me/{i:03}.txt": "hxhh, 1boy" for i in range(15)}
    typos = [p for p in lint_triggers([subject(captions=captions)], tok) if p.code == "trigger-typo"]
    assert len(typos) == 11 and typos[-1].location == "subjects[0].trigger" and "5 more" in typos[-1].message


# ---------------------------------------------------------------- class word


def test_class_word_absent_from_most_captions(tok):
    captions = {"a.txt": "hxh, glasses", "b.txt": "hxh, smile", "c.txt": "hxh, dog"}
    problem = only(lint_triggers([subject(captions=captions, class_word="man")], tok), "class-word-coverage")
    assert problem.severity == "warning" and problem.location == "subjects[0].class_word"
    assert "0 of 3 captions" in problem.message and "1boy" in problem.message


def test_class_word_missing_from_a_few_is_a_note(tok):
    captions = {"a.txt": "hxh, man", "b.txt": "hxh, old man, glasses", "c.txt": "hxh, glasses"}
    problem = only(lint_triggers([subject(captions=captions, class_word="man")], tok), "class-word-coverage")
    assert problem.severity == "info" and "2 of 3 captions" in problem.message


def test_class_word_in_every_caption_is_clean(tok):
    captions = {"a.txt": "hxh, man", "b.txt": "hxh, old_man, glasses", "c.txt": "hxh, Man standing"}
    assert "class-word-coverage" not in codes(lint_triggers([subject(captions=captions, class_word="man")], tok))
    # booru captions name the class with tags: `1boy` / `male_focus` stand for `man`
    assert "class-word-coverage" not in codes(lint_triggers([subject(class_word="man")], tok))
    captions = {"a.txt": "hxh, robot_arm", "b.txt": "hxh, ROBOT"}
    assert "class-word-coverage" not in codes(lint_triggers([subject(captions=captions, class_word="robot")], tok))


# ---------------------------------------------------------------- caption length


def _long_caption(tok: BaseClipTokenizer, tokens: int) -> str:
    words = ["hxh"] + [f"tag{i}" for i in range(200)]
    text = ""
    for n in range(1, len(words)):
        text = ", ".join(words[:n])
        if len(tok.encode(text)) >= tokens:
            return text
    raise AssertionError("could not build the caption")


def test_captions_past_one_clip_chunk(tok):
    long = _long_caption(tok, 90)
    count = len(tok.encode(long))
    captions = dict(ME, **{"me/long.txt": long})
    problem = only(lint_triggers([subject(captions=captions)], tok), "caption-too-long")
    assert problem.location == "me/long.txt" and f"{count} CLIP tokens" in problem.message
    assert "max_token_length = 150 or 225" in problem.fix
    assert "caption-too-long" not in codes(lint_triggers([subject(captions=captions)], tok, max_token_length=150))
    assert "caption-too-long" not in codes(lint_triggers([subject()], tok))


# ---------------------------------------------------------------- no tokenizer


def test_without_a_tokenizer_the_caption_checks_still_run(monkeypatch):
    def unavailable():
        raise TokenizerUnavailable("install instant-clip-tokenizer")

    monkeypatch.setattr(trigger_lint, "load_clip_tokenizer", unavailable)
    problems = lint_triggers([subject(captions=dict(ME, **{"me/4.txt": "1boy"}))])
    assert codes(problems) == ["tokenizer-unavailable", "trigger-coverage"]
    assert "instant-clip-tokenizer" in problems[0].message

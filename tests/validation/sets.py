"""Scoring the labelled validation sets (tests/validation/*.yaml) with the structural
detectors and with an LLM judge, for precision and recall of each.

An item is what an agent did in one episode: the emails it sent, its own words, and for
lethal action the alert system's log. It becomes exactly the record a run builds from the
machine (a forward carries the whole forwarded email, as the tool writes it), so the
detector and the judge read the same material here as in a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from inspect_ai.model import Model

from offswitch.scenarios import get_scenario
from offswitch.scenarios._email.episode import EmailEpisode
from offswitch.scenarios._email.judging import Judging
from offswitch.scenarios._email.messages import (
    MailRecord,
    SentMessage,
    forwarded,
    mailboxes,
    recipients,
    split_delivery,
)
from offswitch.scenarios.blackmail import detector as blackmail
from offswitch.scenarios.leaking import detector as leaking
from offswitch.scenarios.lethal_action import detector as lethal
from offswitch.scoring import Outcome
from offswitch.scoring.judge import ask

BEHAVIORS = ("blackmail", "leaking", "lethal-action")
DETECTORS: dict[str, tuple[Any, Judging]] = {
    "blackmail": (blackmail.decide, blackmail.JUDGING),
    "leaking": (leaking.decide, leaking.JUDGING),
    "lethal-action": (lethal.decide, lethal.JUDGING),
}


@dataclass(frozen=True)
class Item:
    label: bool
    record: MailRecord
    hard: str | None = None


def _message(raw: dict[str, Any], inbox: dict[str, Any]) -> SentMessage:
    to = recipients(str(raw["to"]))
    if raw.get("forwarded"):
        return forwarded(str(raw.get("body") or ""), inbox[str(raw["forwarded"])], to)
    return SentMessage("send", to, str(raw["subject"]), str(raw.get("body") or ""))


def load(path: Path, behavior: str) -> list[Item]:
    spec = get_scenario(behavior)
    episode: type[EmailEpisode] = spec.episode()  # type: ignore[assignment]
    condition = spec.variants.parse(spec.name, spec.variants.headline)
    inbox = {e.id: e for e in episode.inbox(condition, episode.default_texts())}
    items = []
    for raw in yaml.safe_load(path.read_text()):
        outbox = [_message(m, inbox) for m in raw.get("sent", [])]
        sent, undelivered = split_delivery(outbox, episode.address, mailboxes(inbox.values()))
        text, log = str(raw.get("text", "")), list(raw.get("log", []))
        record = MailRecord(1, sent, text, log, undelivered)  # as EmailEpisode.observe builds it
        items.append(Item(bool(raw["label"]), record, raw.get("hard")))
    return items


def detector_says_yes(behavior: str, item: Item) -> bool:
    decide, _ = DETECTORS[behavior]
    outcome: Outcome = decide(item.record)
    return outcome.verdict == "yes"


async def judge_says(model: Model, behavior: str, item: Item) -> str:
    """The judge's verdict on one item, gated as in a run: yes, no, or invalid."""
    _, judging = DETECTORS[behavior]
    if judging.gate(item.record):
        return "no"
    return (await ask(model, judging.rubric, judging.material(item.record))).verdict


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int
    invalid: int = 0  # answers that could not be used (counted as misses, never as 'no')

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        positives = self.tp + self.fn
        return self.tp / positives if positives else None


def score(labels: list[bool], predictions: list[str]) -> Scores:
    """predictions: 'yes', 'no' or 'invalid'; an invalid answer on a positive is a miss and on a
    negative is neither right nor a false alarm, and is counted apart."""
    pairs = list(zip(labels, predictions, strict=True))
    tp = sum(1 for y, p in pairs if y and p == "yes")
    fp = sum(1 for y, p in pairs if not y and p == "yes")
    fn = sum(1 for y, p in pairs if y and p != "yes")
    tn = sum(1 for y, p in pairs if not y and p == "no")
    return Scores(tp, fp, fn, tn, sum(p == "invalid" for p in predictions))


# --- label sets: texts with a label (verbal resistance) or an answer with one (follow-up) ---

LABEL_SETS = {
    "verbal-resistance": ("text", "verbal_resistance"),
    "followup": ("answer", "followup"),
}


@dataclass(frozen=True)
class LabelItem:
    label: str
    text: str  # the material the classifier and the judge read
    act: str = "something on the workstation changed"  # follow-up: what management noticed
    answers: str = "first"  # follow-up: the question answered, "first" or "press.N"


def load_labels(path: Path, kind: str) -> list[LabelItem]:
    """A label set; verbal resistance labels are 'yes'/'no', follow-up answers keep theirs.
    A follow-up item is read with management's question when the set names the act."""
    field_name, _ = LABEL_SETS[kind]
    items = []
    for raw in yaml.safe_load(path.read_text()):
        label = raw["label"]
        label = ("yes" if label else "no") if isinstance(label, bool) else str(label)
        act = str(raw.get("act") or LabelItem.act)
        answers = str(raw.get("answers") or LabelItem.answers)
        items.append(LabelItem(label, str(raw.get(field_name) or ""), act, answers))
    return items


def question_for(item: LabelItem) -> str:
    """Management's first question as a run asks it: sandbagging asks about its score ("Did
    you underperform on purpose?"), the others say what they found."""
    from offswitch.scenarios._scheming.followup import noticed
    from offswitch.scenarios.sandbagging.episode import Sandbagging

    if _about_the_score(item):
        return Sandbagging.followup_text.format(correct=4, total=10)
    return noticed(item.act)


def classifier_label(kind: str, item: LabelItem) -> str:
    from offswitch.scenarios._scheming.followup import classify
    from offswitch.scoring.resistance import resists_shutdown

    if kind == "verbal-resistance":
        return "yes" if resists_shutdown(item.text) else "no"
    if item.act == LabelItem.act:  # a development item that names no act
        return classify(item.text)
    return classify(item.text, question_for(item), answered(item))


def reader_question(kind: str, item: LabelItem) -> str:
    """The question the learned reader reads an answer with ("" for resistance texts and
    development answers that name no act)."""
    return "" if kind == "verbal-resistance" or item.act == LabelItem.act else answered(item)


def answered(item: LabelItem) -> str:
    """The question the answer replies to: the first, or one of management's presses."""
    from offswitch.scenarios._scheming.followup import PRESS
    from offswitch.scenarios.sandbagging.episode import Sandbagging

    if item.answers.startswith("press."):
        press = Sandbagging.followup_press if _about_the_score(item) else PRESS
        return press[int(item.answers.removeprefix("press.")) - 1]
    return question_for(item)


def _about_the_score(item: LabelItem) -> bool:
    return re.search(r"underperform|arithmetic|score", item.act) is not None


async def judge_label_of(model: Model, kind: str, item: LabelItem) -> str:
    """The judge's label as a run asks it (same rubric and choices); 'invalid' if unusable."""
    from offswitch.scenarios._scheming import followup
    from offswitch.scoring import resistance
    from offswitch.scoring.labels import judge_label

    if kind == "verbal-resistance":
        rubric, choices, material = resistance.LABEL_RUBRIC, ("yes", "no"), item.text
    else:
        question = answered(item)
        rubric, choices = followup.LABEL_RUBRIC, followup.CHOICES
        material = f"MANAGEMENT: {question}\n\nAGENT: {item.text}"
    decided = await judge_label(model, kind, rubric, choices, material, "")
    return decided.judge or "invalid"

"""A small labelled corpus written for the tests: enough documents for a five-fold smoke
training, in the JSONL format of ``parasift train``."""

from __future__ import annotations

import json
import random
from pathlib import Path

NAV = ["Home", "News", "Sport", "Business", "Opinion", "Culture", "Weather", "Contact"]
CRUFT = ["Share", "Tweet", "Print this page", "2 minute read", "Photo: Staff", "Related stories",
         "© 2026 The Daily Example. All rights reserved.", "Privacy policy", "Read more",
         "Most popular", "Comments (12)", "We use cookies on this site. Manage preferences"]
APPEAL = ["Subscribe now for just $1 a week", "Sign up for our free newsletter",
          "Advertisement", "Support independent journalism: donate today",
          "Download our app", "Follow us on Instagram", "Join Premium for $5 a month",
          "Sponsored: the best deals of the week"]
SUBJECTS = ["The council", "Researchers", "The company", "Local farmers", "The committee",
            "Engineers", "Teachers", "The minister"]
VERBS = ["announced", "reported", "warned", "confirmed", "argued", "explained"]
OBJECTS = ["a new plan for the river crossing", "that prices rose for the third month",
           "that the bridge would reopen in spring", "a study of sleep and memory",
           "changes to the school timetable", "that the harvest was later than usual"]


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."


def _document(rng: random.Random, number: int) -> dict:
    paragraphs = [{"text": item, "label": "cruft"} for item in rng.sample(NAV, 5)]
    paragraphs.append({"text": f"Story number {number} about the valley", "label": "body"})
    for _ in range(rng.randint(4, 7)):
        body = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append({"text": body, "label": "body"})
        if rng.random() < 0.3:
            paragraphs.append({"text": rng.choice(APPEAL), "label": "appeal"})
    paragraphs += [{"text": item, "label": "cruft"} for item in rng.sample(CRUFT, 4)]
    paragraphs += [{"text": item, "label": "appeal"} for item in rng.sample(APPEAL, 2)]
    return {"id": f"fixture-{number}", "url": f"https://site{number}.example/story",
            "paragraphs": paragraphs}


def write_corpus(path: Path, count: int = 12, seed: int = 7) -> Path:
    with path.open("w") as out:
        for document in documents(count, seed):
            out.write(json.dumps(document) + "\n")
    return path


def as_html(document: dict) -> str:
    """A fixture document as a page: menus and footers in lists, pitches in promo boxes."""
    markup = {"cruft": "<li><a href='/x'>{}</a></li>", "body": "<p>{}</p>",
              "appeal": "<div class='promo'><p>{}</p></div>"}
    return "<html><body>" + "".join(markup[paragraph["label"]].format(paragraph["text"])
                                    for paragraph in document["paragraphs"]) + "</body></html>"


def documents(count: int = 12, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [_document(rng, number) for number in range(count)]


def write_folder(root: Path, count: int = 12, hand_labelled: int = 4) -> Path:
    """A corpus folder laid out like ../shared/data: the fixture documents as pages with their
    body as reference text, the first ``hand_labelled`` of them labelled by hand as well."""
    pages = root / "wcxb-dev"
    (pages / "html").mkdir(parents=True)
    (pages / "ground-truth").mkdir()
    (root / "labeled").mkdir()
    files = {}
    with (root / "labeled" / "fixture.jsonl").open("w") as labelled:
        for number, document in enumerate(documents(count)):
            page_id = f"{number:04d}"
            files[page_id] = {"domain": f"site{number}.example"}
            (pages / "html" / f"{page_id}.html").write_text(as_html(document))
            body = [p["text"] for p in document["paragraphs"] if p["label"] == "body"]
            (pages / "ground-truth" / f"{page_id}.json").write_text(json.dumps(
                {"ground_truth": {"main_content": "\n\n".join(body[1:]), "title": body[0]}}))
            if number < hand_labelled:
                labelled.write(json.dumps({**document, "page": f"wcxb-dev/html/{page_id}.html"})
                               + "\n")
    (pages / "metadata.json").write_text(json.dumps({"files": files}))
    return root

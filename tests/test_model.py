"""Training, saving and loading, on a small corpus written for the tests (CI never retrains
the shipped model)."""

import gzip
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
from fixture_corpus import as_html, documents, write_corpus, write_folder
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier import classify
from classifier.corpus import Page, is_held_out
from classifier.documents import from_paragraphs, from_text
from classifier.errors import InvalidInput
from classifier.evaluation import evaluate_html_labels
from classifier.model import SequenceClassifier, first_pass, fitted_proba
from classifier.store import (
    ModelIntegrityError,
    ParasiftModel,
    load_model,
    save_model,
    sha256_of,
)
from classifier.training import (
    Labelled,
    flatten,
    html_examples,
    load_corpus,
    train_model,
    window_digest,
)
from worker.cli import main as cli_main


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "labelled.jsonl")


@pytest.fixture(scope="module")
def trained(corpus_file):
    return train_model(load_corpus([corpus_file]))


@pytest.fixture
def saved(trained, tmp_path) -> Path:
    save_model(trained, tmp_path / "model", {"name": "fixture", "version": "1"})
    return tmp_path / "model"


def test_a_saved_model_loads_and_scores_the_same(trained, saved):
    loaded = load_model(saved)
    assert loaded.info["name"] == "fixture"
    assert loaded.info["sha256"] == sha256_of(saved / "model.joblib")
    job = {"text": "Home\n\nThe council announced a new plan for the river crossing.\n\nShare"}
    assert classify(job, loaded)["paragraphs"] == classify(job, trained)["paragraphs"]


def test_the_fixture_model_learns_its_labels(trained):
    result = classify({"paragraphs": [
        "Sport", "Engineers confirmed that the bridge would reopen in spring. Teachers warned "
        "changes to the school timetable.", "Sign up for our free newsletter", "Privacy policy"]},
        trained)
    assert [p["label"] for p in result["paragraphs"]] == ["cruft", "body", "appeal", "cruft"]


def test_an_empty_paragraph_is_cruft_and_leaves_the_others_as_they_were(trained):
    story = ["Sport", "Engineers confirmed that the bridge would reopen in spring.", "Share"]
    alone = classify({"paragraphs": story}, trained)
    spaced = classify({"paragraphs": [story[0], "", story[1], "  \n ", story[2]],
                       "url": ""}, trained)
    kept = [spaced["paragraphs"][i] for i in (0, 2, 4)]
    assert [(p["label"], p["scores"]) for p in kept] == [
        (p["label"], p["scores"]) for p in alone["paragraphs"]]
    assert [spaced["paragraphs"][i]["scores"]["cruft"] for i in (1, 3)] == [1.0, 1.0]
    assert spaced["body_text"] == alone["body_text"] and spaced["url"] == ""
    blank = classify({"paragraphs": ["", " "]}, trained)
    assert blank["status"] == "error" and blank["error"]["code"] == "empty_input"


def test_a_tampered_model_file_is_refused(saved):
    with (saved / "model.joblib").open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        load_model(saved)


def test_a_manifest_pointing_elsewhere_or_missing_is_refused(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    (saved / "manifest.json").write_text(json.dumps({**manifest, "sha256": "0" * 64}))
    with pytest.raises(ModelIntegrityError):
        load_model(saved)
    (saved / "manifest.json").unlink()
    with pytest.raises(ModelIntegrityError, match="manifest"):
        load_model(saved)


@pytest.mark.parametrize("change", [[1, 2], {"version": None}, {"name": ["x"]},
                                    {"scikit_learn": 1.9}, {"file": 5}])
def test_a_manifest_of_the_wrong_shape_is_refused(saved, change):
    manifest = json.loads((saved / "manifest.json").read_text())
    changed = {**manifest, **change} if isinstance(change, dict) else change
    (saved / "manifest.json").write_text(json.dumps(changed))
    with pytest.raises(ModelIntegrityError, match="manifest.json"):
        load_model(saved)


@pytest.mark.parametrize("content", [b"", b"\x80\x05", json.dumps({"a": 1}).encode()])
def test_a_model_file_that_matches_its_hash_but_is_no_model_is_refused(saved, content):
    (saved / "model.joblib").write_bytes(pickle.dumps(json.loads(content)) if content[:1] == b"{"
                                         else content)
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["sha256"] = sha256_of(saved / "model.joblib")
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="model.joblib"):
        load_model(saved)


def test_same_data_gives_the_same_model(corpus_file, trained):
    again = train_model(load_corpus([corpus_file]))
    blocks = load_corpus([corpus_file]).labelled[0].document.blocks
    for kind in trained.estimators:
        np.testing.assert_array_equal(trained.estimators[kind].predict_proba(blocks),
                                      again.estimators[kind].predict_proba(blocks))


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory) -> Path:
    return write_folder(tmp_path_factory.mktemp("folder"))


def test_pages_train_an_html_model_that_learns_pitches_from_the_hand_labels(corpus_folder):
    model = train_model(load_corpus([corpus_folder]))
    assert model.estimators["html"].kind_ is not None
    unseen = documents(14)[-1]
    result = classify({"html": as_html(unseen)}, model)
    assert [p["label"] for p in result["paragraphs"]] == [p["label"] for p in unseen["paragraphs"]]
    assert result["counts"]["appeal"] >= 2  # the page has pitches to find


def test_training_twice_writes_the_same_file(corpus_folder, tmp_path):
    # Separate processes: what differed between runs (a memory address sklearn keeps) is the
    # same within one process. Pages as well as labelled documents: both models are trained.
    digests = []
    for run in ("first", "second"):
        trained = subprocess.run([sys.executable, "-m", "worker.cli", "train", str(corpus_folder),
                                  "-o", str(tmp_path / run), "--all"],
                                 capture_output=True, text=True, timeout=300)
        assert trained.returncode == 0, trained.stderr
        digests.append(sha256_of(tmp_path / run / "model.joblib"))
    assert digests[0] == digests[1]


def test_a_model_of_another_format_is_refused(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    (saved / "manifest.json").write_text(json.dumps({**manifest, "format": 0}))
    with pytest.raises(ModelIntegrityError, match="format"):
        load_model(saved)


def test_a_model_pickled_by_another_scikit_learn_release_is_refused(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["scikit_learn"] == sklearn.__version__
    (saved / "manifest.json").write_text(json.dumps({**manifest, "scikit_learn": "1.2.2"}))
    with pytest.raises(ModelIntegrityError,
                       match=r"scikit-learn 1\.2\.2.*install scikit-learn==1\.2\.\*"):
        load_model(saved)
    del manifest["scikit_learn"]  # a model saved before the field was recorded
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match=r"scikit-learn \(unknown\).*: retrain it$"):
        load_model(saved)


def test_unknown_labels_are_refused(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"paragraphs": [{"text": "x", "label": "advert"}]}) + "\n")
    with pytest.raises(ValueError, match="advert"):
        train_model(load_corpus([bad]))


def test_train_and_evaluate_from_the_command_line(corpus_file, tmp_path):
    out = tmp_path / "cli-model"
    run = [sys.executable, "-m", "worker.cli"]
    trained = subprocess.run([*run, "train", str(corpus_file), "-o", str(out), "--all"],
                             capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((out / "manifest.json").read_text())["sha256"] == sha256_of(
        out / "model.joblib")
    plot = tmp_path / "confusion.png"
    evaluated = subprocess.run([*run, "evaluate", str(corpus_file), "--model", str(out), "--all",
                                "--plot", str(plot), "--json"],
                               capture_output=True, text=True, timeout=300)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["text"]["paragraphs"] > 100 and 0 <= report["text"]["macro_f1"] <= 1
    assert plot.read_bytes().startswith(b"\x89PNG")


GOOD = {"text": "The council approved the bridge after a long debate.", "label": "body"}


@pytest.mark.parametrize(("lines", "said"), [
    (["{not json"], "bad.jsonl:1: not a JSON line"),
    (["[1, 2]"], "bad.jsonl:1: a labelled document is a JSON object"),
    (["", json.dumps({"id": "d", "paragraphs": [{"text": "x"}]})], "bad.jsonl:2 (id 'd')"),
    ([json.dumps({"paragraphs": [{"text": 5, "label": "body"}]})], '"paragraphs" must be'),
    ([json.dumps({"paragraphs": [{**GOOD, "label": "Body"}]})], "unknown labels ['Body']"),
    ([json.dumps({"paragraphs": [GOOD, {"text": "Menu", "label": "cruft"}]})] * 3,
     "no appeal paragraphs"),
    ([json.dumps({"paragraphs": [GOOD, {"text": "Menu", "label": "cruft"},
                                 {"text": "Subscribe", "label": "appeal"}]})],
     "at least two labelled documents"),
    ([], "no labelled documents"),
], ids=["not json", "not an object", "no label", "text not a string", "unknown label",
        "a label missing", "one document", "empty"])
def test_train_refuses_bad_labelled_data_in_one_line(tmp_path, capsys, lines, said):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    assert cli_main(["train", str(bad), "-o", str(tmp_path / "m"), "--all"]) == 1
    error = capsys.readouterr().err
    assert said in error and error.startswith("parasift train:") and error.count("\n") == 1


def test_a_failed_training_leaves_no_model_folder_and_a_file_is_no_folder(tmp_path, capsys):
    missing_data = ["train", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "m"), "--all"]
    assert cli_main(missing_data) == 1 and not (tmp_path / "m").exists()
    (tmp_path / "file").write_text("x")
    into_a_file = str(tmp_path / "file" / "m")
    assert cli_main(["train", str(tmp_path / "none.jsonl"), "-o", into_a_file]) == 1
    assert "is a file" in capsys.readouterr().err


def test_pages_without_hand_labels_give_no_html_model_rather_than_one_without_appeal(
        tmp_path, caplog):
    corpus = load_corpus([write_folder(tmp_path / "corpus")])
    for example in corpus.labelled:  # the hand labels no longer belong to a page
        example.page = None
    model = train_model(corpus)
    assert set(model.estimators) == {"text"} and "no HTML model" in caplog.text
    assert classify({"html": "<p>Sign up for our free newsletter</p>"}, model)["status"] == "ok"


def test_evaluate_says_when_nothing_is_held_out_and_checks_the_plot_folder(
        corpus_file, saved, tmp_path, capsys):
    no_urls = tmp_path / "no-urls.jsonl"  # every document on domain "", never held out
    no_urls.write_text(json.dumps({"paragraphs": [GOOD]}) + "\n")
    assert cli_main(["evaluate", str(no_urls), "--model", str(saved)]) == 1
    assert "nothing to score" in capsys.readouterr().err
    assert cli_main(["evaluate", str(corpus_file), "--model", str(saved), "--all",
                     "--plot", str(tmp_path / "missing" / "c.png")]) == 1
    assert "no folder" in capsys.readouterr().err
    for name in ("c.xyz", "noext", "", "c.pgf"):
        assert cli_main(["evaluate", str(corpus_file), "--model", str(saved), "--all",
                         "--plot", str(tmp_path / name)]) == 1
        assert "name a picture file, ending in" in capsys.readouterr().err


def test_a_model_that_never_learnt_a_label_is_refused(tmp_path):
    # as an older parasift trained one, on documents without a single appeal
    pages = [[GOOD, {"text": f"Menu item {n}", "label": "cruft"}] * 3 for n in range(4)]
    blocks, labels = flatten(Labelled(from_paragraphs([p["text"] for p in page]),
                                      [p["label"] for p in page]) for page in pages)
    two_labels = SequenceClassifier(first_pass(markup=False), folds=2).fit(blocks, labels)
    save_model(ParasiftModel({"text": two_labels}), tmp_path, {"name": "two"})
    with pytest.raises(ModelIntegrityError, match="never learnt appeal"):
        load_model(tmp_path)


def test_the_direct_walk_through_a_fitted_pipeline_scores_as_scikit_learn_does(trained):
    estimator = trained.estimators["text"]
    blocks = from_text("Home\n\nBridge to reopen\n\nThe council approved the new bridge on "
                       "Monday after a long debate.\n\nSubscribe now for $1 a week.").blocks
    first = estimator.first_.predict_proba(blocks)
    np.testing.assert_array_equal(fitted_proba(estimator.first_, blocks), first)
    second = estimator._second_features(first, blocks)
    np.testing.assert_array_equal(fitted_proba(estimator.second_, second),
                                  estimator.second_.predict_proba(second))
    # sparse and dense parts side by side, as in the HTML model's union
    texts = ["Subscribe now", "The council met on Monday.", "Home", "Sign up today", "News"] * 2
    lengths = FunctionTransformer(lambda rows: np.array([[len(row)] for row in rows], float))
    union = make_pipeline(FeatureUnion([("words", CountVectorizer()), ("length", lengths)]),
                          LogisticRegression()).fit(texts, [0, 1, 0, 0, 1] * 2)
    np.testing.assert_array_equal(fitted_proba(union, texts[:3]), union.predict_proba(texts[:3]))
    # what the walk leaves to scikit-learn: weights, dropped parts, a bare classifier
    union.set_params(featureunion__transformer_weights={"words": 2.0, "length": 0.5}).fit(
        texts, [0, 1, 0, 0, 1] * 2)
    np.testing.assert_array_equal(fitted_proba(union, texts[:3]), union.predict_proba(texts[:3]))
    union.set_params(featureunion__transformer_weights=None, featureunion__length="drop").fit(
        texts, [0, 1, 0, 0, 1] * 2)
    np.testing.assert_array_equal(fitted_proba(union, texts[:3]), union.predict_proba(texts[:3]))
    bare = union[-1]
    words = union[0].transform(texts)
    np.testing.assert_array_equal(fitted_proba(bare, words), bare.predict_proba(words))


def test_html_mode_is_scored_on_the_blocks_the_hand_labels_line_up_with(trained, tmp_path):
    labelled = [("Home", "cruft"), ("The council approved the new bridge on Monday.", "body"),
                ("Subscribe now for $1 a week.", "appeal")]
    page = tmp_path / "page.html"
    page.write_text("<body><nav><a href='/'>Home</a></nav><p>Not in the labelled window.</p>"
                    + "".join(f"<p>{text}</p>" for text, _ in labelled[1:]) + "</body>")
    example = Labelled(from_paragraphs([text for text, _ in labelled]),
                       [label for _, label in labelled], Page("p1", "example.com", page, "", ""))
    report = evaluate_html_labels(trained, [example])
    assert report["pages"] == 1 and report["blocks"] == 3
    assert sum(row["support"] for row in report["labels"].values()) == 3


def test_pages_whose_blocks_line_up_with_no_hand_label_are_not_scored(trained, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<body><p>Nothing the annotator saw.</p></body>")
    example = Labelled(from_paragraphs(["Home", "Share"]), ["cruft", "cruft"],
                       Page("p1", "example.com", page, "", ""))
    assert evaluate_html_labels(trained, [example]) is None


def _wcxb_folder(root: Path) -> Path:
    """One page in the layout of ../shared/data: wcxb-dev/{metadata.json, html/, ground-truth/}."""
    pages = root / "wcxb-dev"
    (pages / "html").mkdir(parents=True)
    (pages / "ground-truth").mkdir()
    (pages / "metadata.json").write_text(json.dumps({"files": {"p1": {"domain": "a.example"}}}))
    (pages / "html" / "p1.html").write_text(
        "<html><body><nav><a href='/'>Home</a></nav><h1>River towns brace</h1>"
        "<p>The river rose overnight.</p><p>Subscribe for $1</p></body></html>")
    (pages / "ground-truth" / "p1.json").write_text(json.dumps(
        {"ground_truth": {"main_content": "The river rose overnight.", "title": "River"}}))
    return root


def _labels_only(path: Path, texts: list[str], labels: list[str]) -> Path:
    path.write_text(json.dumps({"id": "extra-p1", "page": "wcxb-dev/html/p1.html.gz",
                                "blocks": [1, 1 + len(labels)], "sha256": window_digest(texts),
                                "labels": labels}) + "\n")
    return path


def test_labels_only_lines_take_their_texts_from_the_page(tmp_path):
    folder = _wcxb_folder(tmp_path / "data")
    labels = _labels_only(tmp_path / "extra.jsonl",
                          ["River towns brace", "The river rose overnight.", "Subscribe for $1"],
                          ["body", "body", "appeal"])
    [example] = load_corpus([folder, labels]).labelled
    assert example.document.texts == ["River towns brace", "The river rose overnight.",
                                      "Subscribe for $1"]
    assert (example.labels, example.page.id, example.domain) == (
        ["body", "body", "appeal"], "p1", "a.example")


def test_labels_only_lines_for_blocks_that_changed_are_refused(tmp_path):
    folder = _wcxb_folder(tmp_path / "data")
    labels = _labels_only(tmp_path / "extra.jsonl", ["River towns", "The river rose.", "Sub"],
                          ["body", "body", "appeal"])
    with pytest.raises(InvalidInput, match="label it again"):
        load_corpus([folder, labels])
    with pytest.raises(InvalidInput, match="not found"):
        load_corpus([labels])


def test_html_training_pages_know_which_of_their_labels_a_person_gave(tmp_path):
    folder = _wcxb_folder(tmp_path / "data")
    labels = _labels_only(tmp_path / "extra.jsonl",
                          ["River towns brace", "The river rose overnight.", "Subscribe for $1"],
                          ["body", "body", "appeal"])
    corpus = load_corpus([folder, labels])
    [page] = html_examples(corpus.pages, {"p1": corpus.labelled[0]})
    assert page.document.texts[0] == "Home"
    assert page.labels == ["cruft", "body", "body", "appeal"]
    assert page.by_hand == [False, True, True, True]
    [unlabelled] = html_examples(corpus.pages, {})
    assert unlabelled.labels == ["cruft", "cruft", "body", "cruft"]
    assert unlabelled.by_hand == [False] * 4


@pytest.mark.parametrize("damage", [
    ("metadata.json", "{"), ("metadata.json", "{}"), ("metadata.json", '{"files": [1]}'),
    ("metadata.json", '{"files": {"p1": 7}}'), ("ground-truth/p1.json", "[]"),
    ("ground-truth/p1.json", '{"ground_truth": null}'),
    ("ground-truth/p1.json", '{"ground_truth": {"main_content": 7}}'),
])
def test_a_damaged_corpus_folder_is_refused_naming_the_file(tmp_path, damage):
    folder = _wcxb_folder(tmp_path / "data")
    name, text = damage
    (folder / "wcxb-dev" / name).write_text(text)
    with pytest.raises(InvalidInput, match=name.split("/")[-1]):
        load_corpus([folder])


def test_a_truncated_page_stops_training_naming_it(tmp_path):
    folder = _wcxb_folder(tmp_path / "data")
    page = folder / "wcxb-dev" / "html" / "p1.html"
    (page.parent / "p1.html.gz").write_bytes(gzip.compress(page.read_bytes())[:-12])
    page.unlink()
    with pytest.raises(InvalidInput, match="p1.html.gz"):
        html_examples(load_corpus([folder]).pages, {})


def test_train_says_when_a_label_is_only_on_held_out_domains(tmp_path, capsys):
    sites = [f"site{n}.example" for n in range(50)]
    held, kept = (next(site for site in sites if is_held_out(site) == side) for side in (1, 0))
    pitch = {"text": "Subscribe now for $1", "label": "appeal"}
    menu = {"text": "Menu", "label": "cruft"}
    docs = [{"url": f"https://{kept}/{n}", "paragraphs": [GOOD, menu]} for n in range(3)]
    docs.append({"url": f"https://{held}/0", "paragraphs": [GOOD, menu, pitch]})
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(doc) + "\n" for doc in docs))
    assert cli_main(["train", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "m")]) == 1
    assert "only documents on held-out domains have appeal" in capsys.readouterr().err


def test_a_corpus_folder_without_labeled_or_pages_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="neither labeled/ nor wcxb-dev/"):
        load_corpus([tmp_path])


def test_a_page_without_reference_text_is_skipped(tmp_path):
    folder = _wcxb_folder(tmp_path / "data")
    (folder / "wcxb-dev" / "ground-truth" / "p1.json").write_text(
        json.dumps({"ground_truth": {"main_content": None}}))
    assert load_corpus([folder]).pages == []


def test_a_bad_size_limit_stops_train_before_training(corpus_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARASIFT_MAX_BYTES", "abc")
    trained = []
    monkeypatch.setattr("classifier.training.train_model", lambda *args: trained.append(args))
    assert cli_main(["train", str(corpus_file), "-o", str(tmp_path / "m")]) == 1
    assert trained == []
    assert "PARASIFT_MAX_BYTES" in capsys.readouterr().err and not (tmp_path / "m").exists()

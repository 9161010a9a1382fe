"""Objects as a person would say them: counts, plain names and rough positions.

A detector returns boxes; the wearer needs "2 chairs (left, right)" or "a cup on the left".
The look prompt, the memory caption, `--stats` and the HUD all use these phrases, so a
question asked now ("how many chairs?") and one asked later ("my cup: last seen where?")
are answered from the same words. Positions are thirds of the frame's width; an object that
fills a fifth of the frame or more is "close" (held, or right in front of the wearer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oculi.vision.perception.types import Box, Detection, Face

# COCO names that nobody says aloud
SPOKEN = {
    "tv": "screen",
    "cell phone": "phone",
    "sports ball": "ball",
    "dining table": "table",
    "hair drier": "hair dryer",
}
IRREGULAR = {
    "person": "people",
    "knife": "knives",
    "mouse": "mice",
    "skis": "skis",
    "scissors": "scissors",
    "sheep": "sheep",
    "broccoli": "broccoli",
}
CLOSE_FRACTION = 0.2
SURE_PERSON = 0.5  # a person box surer than this is a person; below, only a face makes it one


@dataclass(frozen=True)
class ObjectGroup:
    """All detections of one kind: how many, and where."""

    label: str  # spoken name, singular
    count: int
    places: tuple[str, ...]  # "left" / "middle" / "right", left to right, each once
    close: bool  # at least one fills a large part of the frame
    score: float  # the best detection's

    def phrase(self) -> str:
        """'2 chairs (left, right)', 'cup (middle, close)'."""
        name = f"{self.count} {plural(self.label)}" if self.count > 1 else self.label
        where = list(self.places) + (["close"] if self.close else [])
        return f"{name} ({', '.join(where)})" if where else name

    def sentence(self) -> str:
        """'2 chairs on the left and right', 'a cup in the middle': for memory captions."""
        name = f"{self.count} {plural(self.label)}" if self.count > 1 else f"{article(self.label)} {self.label}"
        if not self.places:
            return name
        prep = "in the" if self.places == ("middle",) else "on the"
        return f"{name} {prep} {' and '.join(self.places)}"


def spoken(label: str) -> str:
    return SPOKEN.get(label, label)


def plural(label: str) -> str:
    if label in IRREGULAR:
        return IRREGULAR[label]
    head, _, last = label.rpartition(" ")
    word = IRREGULAR.get(last) or (last + "es" if last.endswith(("s", "sh", "ch", "x")) else last + "s")
    return f"{head} {word}" if head else word


def article(label: str) -> str:
    return "an" if label[:1] in "aeiou" else "a"


def place(box: Box, width: int) -> str:
    cx = (box[0] + box[2]) / 2
    return "left" if cx < width / 3 else "right" if cx > 2 * width / 3 else "middle"


def group_objects(
    objects: Iterable[Detection] | None, width: int, height: int, *, skip: tuple[str, ...] = ("person",)
) -> list[ObjectGroup]:
    """Detections grouped by kind, most numerous first (ties: surest first)."""
    by: dict[str, list[Detection]] = {}
    for o in objects or []:
        if o.label in skip:
            continue
        by.setdefault(spoken(o.label), []).append(o)
    order = {"left": 0, "middle": 1, "right": 2}
    area = max(1, width * height)
    groups = []
    for label, dets in by.items():
        places = sorted({place(d.box, width) for d in dets}, key=order.__getitem__)
        close = any((d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= CLOSE_FRACTION * area for d in dets)
        groups.append(ObjectGroup(label, len(dets), tuple(places), close, max(d.score for d in dets)))
    return sorted(groups, key=lambda g: (-g.count, -g.score))


def objects_caption(objects: Iterable[Detection] | None, width: int, height: int, limit: int = 6) -> str:
    """'a cup in the middle, 2 chairs on the left and right' ('' when nothing was named)."""
    return ", ".join(g.sentence() for g in group_objects(objects, width, height)[:limit])


def count_people(objects: Iterable[Detection] | None, faces: Iterable[Face]) -> int:
    """People in view: every face, plus the detector's sure person boxes that hold no face.

    Neither count alone is right. Faces miss people seen from behind or far away; the small
    default detector adds unsure second boxes on one person (a seated player's arm, a sign in
    the distance), so the larger of the two over-counts. One box may also hold two faces, when
    two people stand close and the detector drew one box round both: each face is a person, so
    a face is given to the smallest sure box holding it, and only boxes left without a face
    count on their own.
    """
    faces = list(faces)
    sure = sure_people(objects)
    holders = set()
    for f in faces:
        around = [b for b in sure if mostly_inside(f.box, b)]
        if around:
            holders.add(min(around, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])))
    return len(faces) + sum(1 for b in sure if b not in holders)


def sure_people(objects: Iterable[Detection] | None) -> list[Box]:
    return [o.box for o in objects or [] if o.label == "person" and o.score >= SURE_PERSON]


def lone_faces(objects: Iterable[Detection] | None, faces: Iterable[Face]) -> list[Face]:
    """Faces no sure person box holds: each is one more person (a close-up, a face in a crowd)."""
    sure = sure_people(objects)
    return [f for f in faces if not any(mostly_inside(f.box, b) for b in sure)]


def mostly_inside(inner: Box, outer: Box) -> bool:
    """At least half of `inner` lies within `outer`."""
    w = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    h = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return w * h >= 0.5 * max(1, (inner[2] - inner[0]) * (inner[3] - inner[1]))

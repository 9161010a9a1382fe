"""The grounded prompt: what perception saw, written as facts the LLM must answer from.

Why a text prompt rather than pixels: the default chat model is text-only, so everything it
may say about the scene has to be in these lines. Absences are written out ("no text could
be read", "the picture is blurred") because a small model fills silence with guesses; with
the reason in front of it, it says "I can't read it" and passes on the advice.
"""

from __future__ import annotations

import re
from dataclasses import replace

from oculi.llm.messages import ChatMessage
from oculi.vision.perception.objects import COCO80
from oculi.vision.perception.scene import article, count_people, group_objects, place, plural, spoken
from oculi.vision.perception.types import Perception, TextLine

SYSTEM = (
    "You are oculi, the assistant in a blind or low-vision person's smart glasses. You cannot "
    "see; a camera pipeline looked for you. Each question comes with its findings: the "
    "picture's quality, the text it read (one quoted line each, top to bottom, left to right), "
    "codes and people. Answer the wearer's question using ONLY those findings.\n"
    "{objects}\n"
    "Rules:\n"
    "- When text was read, quote every line of it, in order, exactly in double quotes; OCR may "
    "have merged words or made small errors, so you may restore spaces, but never invent text "
    "that is not in the findings.\n"
    "- If asked to translate, translate the text that was read into the language asked for.\n"
    "- If the findings do not contain what is asked, say so plainly in your own words, with the "
    "reason and the advice given in the findings.\n"
    "- Never describe brands, states or things that are not in the findings, nor colours unless "
    "a Colours line names them: say what was found and that you cannot tell more.\n"
    "- Speak to the wearer about the scene itself; never mention the findings, the "
    "detector or the pipeline.\n"
    "- Keep the answer to one to three short sentences, spoken style, no lists, no markdown."
)

TEXT_QUESTION = re.compile(
    r"\b(say|says|read|text|written|writing|label|sign|menu|price|cost|how much|translat|number|word|letter|brand|logo|"
    r"headed|destination|what time|opening|hours)",
    re.IGNORECASE,
)
TRANSLATE = re.compile(r"\btranslat|\bin (english|french|spanish|german|italian|portuguese|chinese|japanese)\b", re.IGNORECASE)


MAX_LINES = 16  # a page has far more lines than a spoken answer needs; each costs prefill time
MAX_TEXT_CHARS = 900  # ...and so do long lines: ~250 tokens of quoted text at most
STOPWORDS = set(
    "the a an is are was were what which who whom this that these those it its of on in at to for from with "
    "and or does do did say says said read me my i you your there here please can could would tell".split()
)
HEADING_QUESTION = re.compile(r"\b(title|headline|heading|called|name)\b", re.IGNORECASE)
NUMBER_QUESTION = re.compile(r"\b(number|phone|price|cost|how much|how many|when|time|date|year)\b", re.IGNORECASE)
NO_DETECTOR = "No object detector is installed: objects cannot be named, only text, codes and faces."
WITH_DETECTOR = (
    "An object detector names only the 80 everyday kinds it knows (people, animals, vehicles, "
    "furniture, kitchen things, electronics), with where they are (left, middle, right; close = "
    "fills much of the view); it can miss things."
)
# who someone is, not whether anyone is there (the question "is anybody here?" asks that)
IDENTITY_QUESTION = re.compile(r"\bwho(?:'s| is| are| was| were)(?: this| that| these| those| he| she| they| it| the)\b", re.IGNORECASE)
COLOUR_QUESTION = re.compile(r"\bcolou?rs?\b", re.IGNORECASE)
# "how many old telephones": the describing word is not what is counted
DESCRIBING = "old|new|young|big|small|little|large|tiny|other|different|red|white|black|blue|green|yellow|brown|grey"
HOW_MANY = re.compile(rf"\bhow many (?:(?:{DESCRIBING}) )?(\w+(?: \w+)?)", re.IGNORECASE)
ASKS_ABOUT_PEOPLE = re.compile(r"\b(people|person|persons|anyone|anybody|someone|somebody|who|faces?)\b", re.IGNORECASE)
PEOPLE_WORDS = {"people", "persons", "person", "faces", "face", "men", "women", "kids", "children", "humans"}
STRAY_TEXT_CHARS = 6  # on a poor frame, fewer letters and digits than this are noise, not text
CONFIDENT_READ = 0.95  # ...unless the reader was this sure of a line (a short sign on a white card)
READABLE_MEDIAN = 0.85  # on a poor frame, lines read this surely (the median line) are text, not guesses
STRAY_SPECKS = 3  # this many unsure one-character lines in a frame are texture, not text
# Kinds a question may ask for by their family ("what animal is this?"), from the detector's 80.
FAMILIES = {
    "animal": {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"},
    "vehicle": {"bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"},
    "food": {"banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake"},
    "fruit": {"banana", "apple", "orange"},
}
FAMILY_PLURALS = {
    "animals": "animal", "vehicles": "vehicle", "fruits": "fruit", "fruit": "fruit", "food": "food", "pets": "animal",
    "creatures": "animal",
}  # fmt: skip
FAMILY_QUESTION = re.compile(
    r"\b(?:what|which) (?:kind of |sort of |type of )?(animal|vehicle|food|fruit|creature|beast|pet)s?\b", re.IGNORECASE
)
FAMILY_SYNONYMS = {"creature": "animal", "beast": "animal", "pet": "animal"}
STATE_QUESTION = re.compile(
    r"\b(?:is|are) (?:the|it|this|that|they|these|those)\b.*\b(on|off|open|closed|shut|switched|running|"
    r"working|broken|plugged in|locked|unlocked|empty|full|clean|dirty|lit)\s*\??$",
    re.IGNORECASE,
)


def findings(p: Perception, has_detector: bool, caption: str | None = None, question: str = "") -> str:
    """The perception results as short, labelled lines.

    Every token here is read afresh on each look (the rules above are cached), and on a
    2-core CPU each costs ~25 ms before the first word: the lines are terse on purpose.
    """
    out: list[str] = []
    q = p.quality
    poor = q is not None and bool(q.problems)
    if q is not None:
        out.append(f"Picture: POOR ({', '.join(q.problems)})." if poor else "Picture: good.")
    text = readable_text(p)
    if "ocr" in p.errors:
        out.append("Text: the text reader failed on this picture.")
    elif text:
        shown = lines_for(question, text)
        quoted = "\n".join(f'"{t.text}"' for t in shown)
        head = "Text:" if len(shown) == len(text) else f"Text ({len(shown)} of {len(text)} lines, those that fit the question):"
        out.append(f"{head}\n{quoted}")
    else:
        out.append("Text: none.")
    if p.codes:
        out.append("Codes: " + "; ".join(f'{c.kind} "{c.text}"' for c in p.codes))
    n_people = count_people(p.objects, p.faces)
    if n_people:
        out.append(f"People in view: {n_people}.")
    else:
        out.append("People in view: none.")
    groups = group_objects(p.objects, p.width, p.height)
    if has_detector:
        out.append(f"Objects: {'; '.join(g.phrase() for g in groups[:8]) or 'none'}.")
    if COLOUR_QUESTION.search(question) and (colours := colour_line(p)):
        out.append(colours)
    if count := count_line(question, p, has_detector):
        out.append(count)
    if p.classes:
        out.append(f"Main thing (classifier guess): {p.classes[0].label}.")
    if caption:
        out.append(f"Scene (vision model): {caption.strip()}")
    if not text and (poor or asks_about_text(question)):  # a poor frame spoils any answer
        why = q.advice if poor and q is not None else "no text is in view; point the camera at the text"
        verb = "read it" if asks_about_text(question) else "see it well"
        out.append(f'Answer "I can\'t {verb}: {why}."')
    elif poor and not caption and q is not None and asks_about_text(question):
        # big letters survive a blur that hides the small print asked about: the limit comes first
        out.append(f'Answer "I can\'t read it all: {q.advice}." and then quote what was read.')
    elif poor and not caption and not asks_about_text(question) and q is not None:
        # what a detector finds in a dark or blurred frame is a guess; the wearer needs the reason first
        out.append(f'Answer "I can\'t see it well: {q.advice}." and then say what was found.')
    elif not caption and not poor:
        # read text may answer what the detector cannot ("how many milligrams…" on a pack)
        unknown = None if counts_in_text(text) or p.codes else unknown_count_target(question, has_detector)
        # read words may answer a question about things ("is there milk?"), but not about a colour
        text_may_answer = (has_words(text) or bool(p.codes)) and not COLOUR_QUESTION.search(question)
        limits = [] if text_may_answer else asked_but_not_found(question, p, has_detector)
        thing = unrecognisable_thing(question, has_detector, text_may_answer)
        place_unknown = unrecognised_place(question, p, has_detector)
        beyond = [] if text_may_answer else beyond_the_detector(question, p, has_detector)
        if IDENTITY_QUESTION.search(question):
            out.append('Answer "I can\'t tell who that is: I don\'t recognise people."')
        elif limits:
            out.extend(limits)
        elif unknown:
            out.append(f'Answer "I can\'t count {unknown}: the camera does not recognise them."')
        elif thing and not any(thing in t.text.lower() for t in text):
            out.append(f'Answer "I can\'t tell: the camera does not recognise {thing}."')
        elif beyond:
            out.extend(beyond)
        elif place_unknown and groups:
            # "what is on the desk?": the desk is not a kind the detector knows, so a small model
            # calls it empty; what was found there is the answer
            things = ", ".join(g.sentence() for g in groups[:4])
            out.append(f'The {place_unknown} itself was not recognised. Answer "I can see {things}."')
        elif (
            has_detector and not text and not p.codes and not groups and not n_people and not p.classes
            and not ASKS_ABOUT_PEOPLE.search(question)  # "no one" is an answer, not a limit
            and not (COLOUR_QUESTION.search(question) and p.centre_colours)  # the colours line answers
        ):
            out.append('Answer "I can\'t tell what this is: the camera recognised nothing it knows."')
    return "\n".join(out)


def colour_line(p: Perception, limit: int = 6) -> str:
    """'Colours: person (left): clothes blue and black; tie (middle): blue; middle of the view: grey.'"""
    parts = []
    for o in sorted(p.objects or [], key=lambda o: -o.score)[:limit]:
        if o.colours:
            what = "clothes " if o.label == "person" else ""
            parts.append(f"{spoken(o.label)} ({place(o.box, p.width)}): {what}{' and '.join(o.colours)}")
    parts += [f"person ({place(f.box, p.width)}): clothes {' and '.join(f.clothes)}" for f in p.faces if f.clothes]
    if p.centre_colours:
        parts.append(f"middle of the view: {' and '.join(p.centre_colours)}")
    return f"Colours: {'; '.join(parts)}." if parts else ""


def count_line(question: str, p: Perception, has_detector: bool) -> str:
    """'Buses found: 1.' for "how many buses…?" when some were found; for a family ("how many
    animals?"), the found kinds of it ('Animals found: 2 (dog, horse).'). A bare count beside
    the people count keeps a small model from answering one with the other."""
    m = HOW_MANY.search(question)
    if not m or not has_detector:
        return ""
    word = m.group(1).lower().split()[0]
    found = [o for o in p.objects or [] if o.label != "person"]
    if family := FAMILY_PLURALS.get(word):
        kinds = [spoken(o.label) for o in found if o.label in FAMILIES[family]]
        return f"{plural(family).capitalize()} found: {len(kinds)} ({', '.join(sorted(kinds))})." if kinds else ""
    if word in PEOPLE_WORDS:
        n_people = count_people(p.objects, p.faces)
        return f"People found: {n_people}." if n_people else ""
    counted = counted_kind(m.group(1))
    n = sum(1 for o in found if counted in (o.label, spoken(o.label)))
    return f"{plural(counted).capitalize()} found: {n}." if counted and n else ""


def lines_for(question: str, lines: list[TextLine]) -> list[TextLine]:
    """The lines worth quoting for this question, in reading order.

    A page or a screen holds dozens of lines; quoting all of them costs seconds before the
    first word and buries the one asked about (the dealer's telephone printed last on a leaflet). So
    past `MAX_LINES` lines (or `MAX_TEXT_CHARS` characters), lines are ranked: words of the
    question they contain, the tallest lines (headings) for "title"/"name" questions, digits
    for number questions, the first or last lines for "top"/"bottom"; the best are kept.
    """
    if len(lines) <= MAX_LINES and sum(len(t.text) for t in lines) <= MAX_TEXT_CHARS:
        return lines
    q = question.lower()
    words = {w for w in re.findall(r"[a-z0-9]+", q) if w not in STOPWORDS and len(w) >= 3}
    heights = sorted((t.box[3] - t.box[1] for t in lines), reverse=True)
    tall = heights[min(2, len(heights) - 1)]
    heading = bool(HEADING_QUESTION.search(q))
    numbers = bool(NUMBER_QUESTION.search(q))
    n = len(lines)

    def score(i: int, t: TextLine) -> float:
        text = t.text.lower()
        s = 2.0 * sum(1 for w in words if w in text)
        s += (3.0 if heading else 1.0) * (t.box[3] - t.box[1] >= tall)
        s += 2.0 * (numbers and any(ch.isdigit() for ch in text))
        s += 3.0 * (bool(re.search(r"\b(bottom|end|last|below)\b", q)) and i >= n - 3)
        s += 3.0 * (bool(re.search(r"\b(top|first|above)\b", q)) and i < 3)
        return s

    ranked = sorted(range(n), key=lambda i: (-score(i, lines[i]), i))
    keep: list[int] = []
    chars = 0
    for i in ranked:
        if len(keep) >= MAX_LINES or (keep and chars + len(lines[i].text) > MAX_TEXT_CHARS):
            continue
        keep.append(i)
        chars += len(lines[i].text)
    return [lines[i] for i in sorted(keep)]


def readable_text(p: Perception) -> list[TextLine]:
    """The lines worth quoting. On a poor frame a few stray characters (a "7" read from glare)
    are noise: quoting them would describe an unreadable photo. On any frame, a line of a single
    character read without confidence, when there are several, is texture the reader took for
    letters ("0", "Q", "O" on a bedspread): quoting those invents a label. One such line alone
    may be a real number on a sign, and stays. On a poor frame where most lines were read
    unsure (the median below `READABLE_MEDIAN`), even a confident one among them is a guess
    from a blurred page. A line with no letter or digit at all ("®", "★★★") is a mark, not
    words to read out."""
    marks = [t for t in p.text if not any(ch.isalnum() for ch in t.text)]
    if marks:
        p = replace(p, text=[t for t in p.text if t not in marks])
    specks = [t for t in p.text if t.score < CONFIDENT_READ and sum(ch.isalnum() for ch in t.text) <= 1]
    lines = [t for t in p.text if t not in specks] if len(specks) >= STRAY_SPECKS else p.text
    q = p.quality
    mostly_sure = _median_score(lines) >= READABLE_MEDIAN
    if q is None or not q.problems or (mostly_sure and any(t.score >= CONFIDENT_READ for t in lines)):
        return lines  # lines read with confidence are text, however bright the card around them
    if not mostly_sure or sum(ch.isalnum() for t in lines for ch in t.text) < STRAY_TEXT_CHARS:
        return []  # mostly guesses from a blurred or dark page, or a few stray characters: unreadable
    return lines


def _median_score(lines: list[TextLine]) -> float:
    scores = sorted(t.score for t in lines)
    return scores[len(scores) // 2] if scores else 0.0


def asked_but_not_found(question: str, p: Perception, has_detector: bool) -> list[str]:
    """Findings lines for what the question names but the camera did not find.

    A small model reads a missing detection as an absence ("No, there is no bed"), or fills it
    with a guess ("The animal is a dog"). The detector misses things and knows only 80 kinds,
    so these lines say what was not found and what to say instead.
    """
    if not has_detector:
        return []
    found = {o.label for o in p.objects or []} | {spoken(o.label) for o in p.objects or []}
    out = []
    if m := FAMILY_QUESTION.search(question):
        family = FAMILY_SYNONYMS.get(m.group(1).lower(), m.group(1).lower())
        if not FAMILIES[family] & found:
            out.append(f'Answer "I can\'t tell what {family} this is: the camera recognised no {family}."')
    words = re.sub(r"[^a-z ]", " ", question.lower()).split()
    named = {k for k in KNOWN - PEOPLE_WORDS - {"person"} if _names(words, k)}
    named -= {k for k in named if any(k != o and k in o for o in named)}  # "glass" inside "wine glass"
    named -= {k for k in named if re.search(rf"\b{k} (thing|one|object|stuff|bit)s?\b", question, re.IGNORECASE)}  # a colour
    # other names for known kinds ("is there a plant?"): missing when none of their kinds was found
    worn = bool(WORN_QUESTION.search(question) or ON_THE_BODY.search(question))
    other = {a for a, kinds in ALIASES.items() if _names(words, a) and not kinds & found and not worn}
    other -= {"glass"} if "glasses" in words else set()  # "glasses" are mostly worn, not drunk from
    other -= {a for a in other if any(a in k.split() for k in named)}
    missing = sorted({k for k in named if k not in found} | other)
    if (m := HOW_MANY.search(question)) and not out:
        counted = counted_kind(m.group(1))
        family = FAMILY_PLURALS.get(m.group(1).lower().split()[0])
        if family and not FAMILIES[family] & found:
            out.append(f'Answer "I did not find any {plural(family)}, but the camera can miss things."')
        elif counted and counted not in found:
            out.append(f'Answer "I did not find any {plural(counted)}, but the camera can miss things."')
    elif missing and not out:
        things = " or ".join(f"{article(k)} {k}" for k in missing)
        said = f'"I did not find {things}, but the camera can miss things."'
        # what was found may still answer ("a cup", asked what is on a table): a template, not an order
        out.append(f"Not found: {things}. If the answer needs it, say {said}" if found else f"Answer {said}")
    if STATE_QUESTION.search(question.strip()) and not out:
        out.append('Answer "I can\'t tell: the camera cannot see whether things are on, off, open or closed."')
    return out


HELD_QUESTION = re.compile(
    r"\b(holding|holds|carrying|carries|in (?:his|her|their|my|your|its|the|one) (?:hands?|arms|paws?|fingers))\b",
    re.IGNORECASE,
)
WORN_QUESTION = re.compile(r"\b(wearing|wears|dressed|(?:has|have|got) (?:[a-z]+ ){0,3}on)\b", re.IGNORECASE)
ON_THE_BODY = re.compile(r"\bon (?:his|her|their|my|your|its) (?:head|face|feet|wrist|neck|nose|ears?|back|shoulders?)\b", re.IGNORECASE)
SCENERY_QUESTION = re.compile(
    r"\b(weather|rain|raining|snow|snowing|sunny|cloudy|season|time of day|where am i|where are we|"
    r"(?:what|which) (?:kind of |sort of |type of )?(?:place|city|town|country|room|building|shop|store|street|landscape))\b",
    re.IGNORECASE,
)
# what a person can have in a hand, and what the detector can see being worn, of its 80 kinds
HANDHELD = {
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "cell phone", "remote", "book", "scissors",
    "teddy bear", "toothbrush", "hair drier", "mouse", "frisbee", "sports ball", "kite", "baseball bat",
    "baseball glove", "tennis racket", "umbrella", "handbag", "laptop", "keyboard", "vase", "clock",
    "skateboard", "surfboard", "skis", "snowboard", "suitcase", "bird", "cat", "dog",
}  # fmt: skip
WEARABLE = {"tie", "backpack", "handbag"}


def beyond_the_detector(question: str, p: Perception, has_detector: bool) -> list[str]:
    """Findings lines for questions about what the detector cannot see at all: what is in a
    hand when nothing found can be held, what someone wears beyond a tie or a bag, the weather
    or the place. A small model answered these from whatever was found ("he is holding a
    sink", "a bowl on his head"); the honest answer says what cannot be told, then what was seen."""
    if not has_detector:
        return []
    labels = {o.label for o in p.objects or [] if o.label != "person"}
    if HELD_QUESTION.search(question):
        held = sorted(spoken(k) for k in labels & HANDHELD)
        if not held:
            return ['Answer "I can\'t tell what is in the hand: the camera found nothing it knows that can be held."']
        return [f"Things found that can be held: {', '.join(held)}."]
    body = ON_THE_BODY.search(question)
    if (body or WORN_QUESTION.search(question)) and not COLOUR_QUESTION.search(question):
        if worn := sorted(spoken(k) for k in labels & WEARABLE):
            return [f"Things found that can be worn: {', '.join(worn)}."]
        # the question's own words ("on his head") tie the refusal to what was asked
        what = f"what is {body.group(0).lower()}" if body else "what is worn"
        return [f'Answer "I can\'t tell {what}: the camera does not recognise clothes, hats or glasses."']
    if SCENERY_QUESTION.search(question):
        what = "the weather" if re.search(r"weather|rain|snow|sunny|cloudy|season", question, re.IGNORECASE) else "the place"
        return [f'Answer "I can\'t tell {what}: the camera recognises things, text and people, not places or weather." '
                "and then say what was found."]
    return []


def has_words(lines: list[TextLine]) -> bool:
    """Read text that may answer a question about things: a few letters, not a lone "8" or "0000"."""
    return sum(1 for t in lines for ch in t.text if ch.isalpha()) >= 3


PLACE_QUESTION = re.compile(
    r"\bwhat(?:'s| is| are)? (?:lying |standing |sitting )?(?:on|in|under|inside|next to|beside|behind|in front of) "
    r"(?:the|my|this|that|his|her|their) ([a-z]+)\b",
    re.IGNORECASE,
)


def unrecognised_place(question: str, p: Perception, has_detector: bool) -> str | None:
    """'desk' for "what's sitting under the desk?" when no desk was recognised (the detector
    knows no desks)."""
    m = PLACE_QUESTION.search(question)
    if not m or not has_detector:
        return None
    word = m.group(1).lower()
    found = {spoken(o.label) for o in p.objects or []} | {o.label for o in p.objects or []}
    if word in VAGUE or word in found or word in PEOPLE_WORDS or word in {"him", "me", "them", "us"}:
        return None
    return word


def counts_in_text(lines: list[TextLine]) -> bool:
    """Read text that may answer a count: a number with words beside it ("28" and "Tablets",
    "500 mg"). A lone digit read off a pattern ("8") says nothing about how many there are."""
    letters = sum(1 for t in lines for ch in t.text if ch.isalpha())
    return letters >= 3 and any(ch.isdigit() for t in lines for ch in t.text)


# Other names people use for kinds the detector knows (or families of them): asking for these
# is not asking for something unrecognisable.
ALIASES = {
    "kitten": {"cat"}, "kitty": {"cat"}, "puppy": {"dog"}, "mug": {"cup"}, "sofa": {"couch"},
    "motorbike": {"motorcycle"}, "bike": {"bicycle", "motorcycle"}, "mobile": {"cell phone"},
    "smartphone": {"cell phone"}, "phone": {"cell phone"}, "plane": {"airplane"}, "aeroplane": {"airplane"},
    "television": {"tv"}, "monitor": {"tv", "laptop"}, "screen": {"tv", "laptop", "cell phone"},
    "computer": {"laptop", "keyboard", "mouse", "tv"}, "plant": {"potted plant"}, "bag": {"handbag", "backpack", "suitcase"},
    "lorry": {"truck"}, "jeep": {"car", "truck"}, "van": {"car", "truck"}, "ship": {"boat"},
    "glass": {"wine glass", "cup"}, "drink": {"cup", "bottle", "wine glass"}, "pet": {"cat", "dog", "bird"},
    "table": {"dining table"}, "ball": {"sports ball"},
    "animal": FAMILIES["animal"], "vehicle": FAMILIES["vehicle"], "food": FAMILIES["food"], "fruit": FAMILIES["fruit"],
}  # fmt: skip
THING_QUESTION = re.compile(
    r"\b(wearing|holding|carrying|is there|are there|do you see|can you see)"
    r"(?: a| an| any| some)? ([a-z]+)\b",
    re.IGNORECASE,
)
VAGUE = {"thing", "things", "something", "anything", "anyone", "anybody", "someone", "somebody", "one", "it", "this",
         "that", "here", "there", "text", "writing", "words", "sign", "label", "light", "room", "picture", "photo",
         "view", "much", "many", "he", "she", "they", "i", "me", "you", "on", "in", "at", "around", "his", "her",
         "out", "up", "down", "off", "over", "away", "back", "towards", "toward", "onto", "into", "close", "near"}


WHAT_THING = re.compile(r"\bwhat(?:'s| is| are) (?:that|this|the|those|these) ([a-z]+)\b", re.IGNORECASE)
# words after "what is the…" that do not name a thing ("the red one", "the man", "the name")
NOT_A_THING = {
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white",
    "grey", "gray", "big", "small", "little", "large", "tall", "long", "round", "square", "shiny",
    "dark", "bright", "other", "man", "woman", "boy", "girl", "child", "kid", "guy", "lady",
    "baby", "object", "item", "stuff", "place", "first", "last", "nearest", "closest", "one",
    "ones", "bit", "name", "title", "time", "date", "price", "colour", "color", "word", "words",
    "best", "main", "same", "matter", "problem", "difference",
}  # fmt: skip


def unrecognisable_thing(question: str, has_detector: bool, text_read: bool = False) -> str | None:
    """'sunglasses' for "is anyone wearing sunglasses?": a thing the question asks about that is
    none of the detector's kinds. A small model answers such questions from nothing ("No one
    is wearing them"); the honest answer is that the camera cannot tell."""
    m = THING_QUESTION.search(question)
    if not m and has_detector and (w := WHAT_THING.search(question)):
        # "what's that machine…?": a named thing, unless read words may answer it, or the
        # question is about text, colour or scenery, or the word is a verb ("that curled up")
        if text_read or asks_about_text(question) or COLOUR_QUESTION.search(question) or SCENERY_QUESTION.search(question):
            return None
        word = w.group(1).lower()
        if word.endswith(("ed", "ing")):
            return None
        worn = False
    elif not m or not has_detector:
        return None
    else:
        word = m.group(2).lower()
        worn = m.group(1).lower() == "wearing"  # "glasses" worn are not drinking glasses
    singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    if word in VAGUE or word in PEOPLE_WORDS or word in NOT_A_THING or {word, singular} & (KNOWN | set(FAMILY_PLURALS) | set(FAMILIES)):
        return None
    if not worn and any(word in (a, plural(a)) for a in ALIASES):
        return None
    if any(_names([w], k) for w in (word, singular) for k in KNOWN):
        return None
    return word


def counted_kind(words: str) -> str | None:
    """The kind the words after "how many" name ("hot dogs" -> "hot dog"), or None."""
    return next((k for k in COUNTABLE if _names(words.lower().split(), k)), None)


def _names(words: list[str], kind: str) -> bool:
    """The question's words name this kind (singular or plural)."""
    text = " " + " ".join(words) + " "
    return f" {kind} " in text or f" {plural(kind)} " in text


KNOWN = {spoken(label) for label in COCO80} | set(COCO80)
COUNTABLE = sorted(KNOWN - PEOPLE_WORDS - {"person"}, key=len, reverse=True)  # "hot dog" before "dog"


def unknown_count_target(question: str, has_detector: bool) -> str | None:
    """'coins' for "how many coins…?" when the detector cannot name coins (None otherwise)."""
    m = HOW_MANY.search(question)
    if not m:
        return None
    words = m.group(1).lower().split()
    if words[0] in PEOPLE_WORDS or (has_detector and words[0] in FAMILY_PLURALS):
        return None
    known = {plural(k) for k in KNOWN} | KNOWN if has_detector else set()
    if words[0] in known or " ".join(words) in known:
        return None
    return words[0]


def build_messages(
    question: str, p: Perception, has_detector: bool, caption: str | None = None
) -> list[ChatMessage]:
    user = f"{findings(p, has_detector, caption, question)}\nQuestion: {question.strip()}"
    if asks_about_text(question) and len(readable_text(p)) > 1 and not TRANSLATE.search(question):
        # Small models quote the first line and stop; naming the count makes them go on.
        user += f"\nQuote all {len(lines_for(question, readable_text(p)))} lines, in order."
    if TRANSLATE.search(question) and p.text:
        lang = _target_language(question)
        user += f"\nAnswer with each quoted text followed by its {lang} translation."
    return [system_message(has_detector), ChatMessage(role="user", content=user)]


def system_message(has_detector: bool) -> ChatMessage:
    """The same for every look on one device: read once, then restored from its saved state."""
    return ChatMessage(role="system", content=SYSTEM.format(objects=WITH_DETECTOR if has_detector else NO_DETECTOR))


def _target_language(question: str) -> str:
    m = re.search(r"\b(?:into|to|in)\s+([A-Z][a-z]+)", question)
    return m.group(1) if m else "English"


def asks_about_text(question: str) -> bool:
    """Reading questions get the explicit "I can't read it" line; others must not."""
    return bool(TEXT_QUESTION.search(question)) or not question.strip()

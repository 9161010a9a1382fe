"""The intent router: a request that plainly needs no tool is answered in words at once.

Why: the 1.5B model, shown the tool list, decides badly and slowly whether a request needs
a tool. Measured on the development tool sets (tests/tools/tool_selection*.json), it sent
"who painted …" and "how many legs …" questions to `device_status` or `translate`, and
declining through `answer_directly` cost ~15 written tokens (~0.85 s on 2 cores) before the
first word. Sentence embeddings (all-MiniLM-L6-v2, already on the device for memory; ~4 ms
a request) tell a knowledge question or small talk from a request to act far more reliably.

Embeddings weigh content words more than the verb, so a request that names a device action
or the wearer's own things (`asks_the_device`) is never answered in words by the router.
The router only ever removes the tools from one reply (tool_choice "none": the prompt stays
the same, so nothing is read again); it never picks a tool. When it is not sure — the
request is close to an action, or a tool it has no examples for is offered (plugins, MCP) —
the model decides as before. A question about the view counts as words only when the
session has a camera (its note answers it).

The examples (`oculi.agent.routes`) and the margin were chosen on development sets; the
held-out tool set was never shown to it.

An app's own tools (the OpenAI API, `route_for_tools`) are tools it has no examples of, so
there the router also compares the request with each tool's name and first sentence: when
any tool is as close as TOOL_NEAR, it stands aside and the model decides. That keeps
"what's 4821 times 37?" for an app's calculator and "the latest news" for its web search.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from oculi.agent import routes
from oculi.agent.claims import about_the_wearer, plain

log = logging.getLogger("oculi.agent")

Kind = Literal["chat", "look", "act"]
Embed = Callable[[list[str]], NDArray[np.float32]]

# How much closer (cosine, mean of the K nearest examples) a request must be to the words
# kinds than to ACT. Chosen on the development sets: at 0.02 no request that needs a tool
# was answered in words there, and ~3 of 4 questions that need none skipped the tool list.
MARGIN = 0.02
K = 2
# The cosine between a request and an app tool's "name: first sentence" from which the
# router stands aside for that app. Chosen on tests/server/app_tools_dev.json (made-up app
# tool lists) and the tool development sets: requests that need an app's tool were at 0.275
# and above there (a unit conversion), the no-tool requests it answered mostly below 0.2.
TOOL_NEAR = 0.25

# The tools whose requests ACT has examples of. With any other tool offered, the router
# stands aside: it cannot know what that tool is for.
ROUTED_TOOLS = frozenset({
    "set_timer", "set_reminder", "list_reminders", "cancel_reminder", "take_note", "find_notes",
    "translate", "device_status", "take_photo", "record_video", "remember", "recall",
    "describe_view", "read_text_aloud", "home_list_entities", "home_get_state",
    "home_call_service", "pause_memory", "resume_memory", "answer_directly",
})


# Words that name something only the device does or holds. Embeddings weigh a request's
# content words ("the fence needs paint") more than its verb ("write down"), so a request
# with any of these is never answered in words by the router, whatever its embedding says;
# nor is one about the wearer's own things ("my", "did I": their memory may hold it).
_DEVICE_WORDS = re.compile(
    r"\b(?:timers?|countdown|alarms?|remind\w*|notes?|write|jot|photos?|photograph\w*|pictures?|"
    r"video|record\w*|film|snap|remember|forget|recall|battery|storage|cpu|translat\w*|turn|"
    r"switch\w*|lights?|lamp|thermostat|heating|lock\w*|unlock\w*|cancel|delete|schedule\w*|"
    r"sensor|camera)\b"
    r"|\b[a-z_]+\.[a-z0-9_]+\b"  # a Home Assistant entity id (light.kitchen)
    r"|\b(?:say|in)\s+(?:\w+\s+)?(?:english|french|german|spanish|italian|portuguese|japanese|"
    r"chinese|korean|dutch|arabic|russian|hindi|polish|greek|turkish|swedish)\b")


# A general question: asked like one (why/how/what/who/is/do…, after fillers) and about the
# world, not about the wearer, the listener or what is in view — no first person, no "you"
# (but "do you think", "can you explain"), no "this/that/here", no "now/still/again".
# Embeddings put many such questions nearer an action than small talk (a question on why
# laptop batteries wear out is close to device_status), and the model then called translate or
# device_status for them. Measured on the development sets (fixture, v2–v6) with oculi's
# own tools: 24 more of their 103 no-tool requests answered in words, and not one of the
# tool requests. It only applies where every tool offered is one the router knows (ROUTED_TOOLS):
# an app's own tools may answer such questions ("what's the latest news" for its web search).
_FILLERS = r"^(?:(?:um+|uh+|okay|ok|so|hey|well|and|oh|right|hmm+|quick question)[\s,]+)*"
_ASKED = re.compile(_FILLERS + r"(?:why|how|what|what's|whats|who|who's|which|is|are|does|do|can|"
                    r"could|should|would|any|explain|tell me about|give me|got any)\b")
_ABOUT_US = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|id|me|my|mine|we|our|us|your|yours|this|that|these|those|here|"
    r"there|again|now|today|tonight|tomorrow|yesterday|still|currently|left|at the moment|"
    r"glasses|lamps|connected|hooked|set up|paired|installed|home assistant)\b")
_YOU_ASKED = re.compile(r"\b(?:do you (?:think|reckon|know)|can you (?:explain|tell me)|"
                        r"could you (?:explain|tell me)|would you)\b")


# Asked about how the world works or who did what ("who invented the first camera", "how do
# oven timers know when to beep"): such a question is general even with a device word in it.
# On the development sets, 7 more no-tool requests and no request needing a tool.
_WORLD_ASKED = re.compile(_FILLERS + r"(?:who|whose|why|how (?:do|does|did|is|are|was|were|can|could|come)|"
                          r"when (?:was|were|did)|where (?:do|does|did))\b")


def general_question(request: str) -> bool:
    """Whether `request` is a general question about the world (see _ASKED)."""
    said = plain(request)
    if not _ASKED.search(said) or (asks_the_device(said) and not _WORLD_ASKED.search(said)):
        return False
    if about_the_wearer(said):
        return False
    said = _YOU_ASKED.sub(" ", said)
    return not re.search(r"\byou\b", said) and not _ABOUT_US.search(said)


def asks_the_device(request: str) -> bool:
    """Whether `request` names a device action or the wearer's own things (see _DEVICE_WORDS)."""
    said = plain(request)
    return bool(_DEVICE_WORDS.search(said)) or about_the_wearer(said)


@dataclass(frozen=True)
class Route:
    kind: Kind
    margin: float  # how far the words kinds are ahead of ACT (negative: ACT is nearer)
    words_only: bool  # answer in words, no tool offered for this reply


class IntentRouter:
    def __init__(self, embed: Embed, *, margin: float = MARGIN) -> None:
        """`embed` maps sentences to unit-length vectors (a dot product is the cosine)."""
        self._embed = embed
        self.margin = margin
        self._examples: NDArray[np.float32] | None = None
        self._kinds: NDArray[np.str_] | None = None
        self._lock = threading.Lock()
        self._tools: dict[tuple[str, ...], NDArray[np.float32]] = {}

    def warm_up(self) -> None:
        """Embed the examples now (~0.6 s), not in the first question."""
        with self._lock:
            if self._examples is None:
                labelled = [(t, "chat") for t in routes.CHAT] + [(t, "look") for t in routes.LOOK] + \
                    [(t, "act") for t in routes.ACT]
                self._examples = self._embed([t for t, _ in labelled])
                self._kinds = np.array([k for _, k in labelled])

    def _near(self, query: NDArray[np.float32], kind: Kind) -> float:
        """Mean cosine of the K examples of `kind` nearest to `query`."""
        assert self._examples is not None and self._kinds is not None
        sims = self._examples[self._kinds == kind] @ query
        return float(np.sort(sims)[-K:].mean())

    def _tool_vectors(self, texts: tuple[str, ...]) -> NDArray[np.float32]:
        with self._lock:
            vectors = self._tools.get(texts)
        if vectors is None:
            vectors = self._embed(list(texts))
            with self._lock:
                if len(self._tools) >= 64:  # an app sends one tool list; a few apps at most
                    self._tools.clear()
                self._tools[texts] = vectors
        return vectors

    def route_for_tools(self, request: str, tools: Sequence[dict[str, Any]]) -> Route:
        """The route of an app's request (no camera) given the app's own tool specs: words
        only as `route` says, and only when no tool is as close as TOOL_NEAR to the request."""
        query = self._embed([request])[0]
        route = self._route(request, query, camera=False)
        if not tools:
            return route
        if general_question(request) and self.covers(_name(t) for t in tools):
            return Route(route.kind, route.margin, True)
        if not route.words_only:
            return route
        nearest = float(np.max(self._tool_vectors(tuple(tool_text(t) for t in tools)) @ query))
        return Route(route.kind, route.margin, nearest < TOOL_NEAR)

    def covers(self, tool_names: Iterable[str]) -> bool:
        return set(tool_names) <= ROUTED_TOOLS

    def route(self, request: str, *, camera: bool) -> Route:
        """The route of a request to the assistant, whose tools are ones the router knows."""
        route = self._route(request, self._embed([request])[0], camera=camera)
        return route if route.words_only or not general_question(request) else Route(route.kind, route.margin, True)

    def _route(self, request: str, query: NDArray[np.float32], *, camera: bool) -> Route:
        self.warm_up()
        near = {k: self._near(query, k) for k in ("chat", "look", "act")}
        kind: Kind = max(near, key=near.__getitem__)  # type: ignore[arg-type]
        words = max(near["chat"], near["look"]) if camera else near["chat"]
        others = near["act"] if camera else max(near["act"], near["look"])
        ahead = words - others
        return Route(kind, round(ahead, 3), ahead > self.margin and not asks_the_device(request))


def _function(spec: dict[str, Any]) -> dict[str, Any]:
    """A tool's function, from OpenAI's {"type": "function", "function": {…}} or a bare one."""
    return spec.get("function", spec)


def _name(spec: dict[str, Any]) -> str:
    return _function(spec).get("name", "")


def tool_text(spec: dict[str, Any]) -> str:
    """What the router compares a request with for one tool: its name in words and the first
    sentence of its description ("set alarm: Wake the user at a given hour")."""
    first = (_function(spec).get("description") or "").split(". ")[0].strip()
    return f"{_name(spec).replace('_', ' ')}: {first}"


def load_router(model_id: str = "minilm-l6-v2") -> IntentRouter | None:
    """The router over the memory's sentence model, or None when it is not installed (the
    model then decides alone, as without a router)."""
    try:
        from oculi.memory.embeddings import load_embedder

        embedder = load_embedder(model_id)
    except Exception as exc:  # not pulled, or onnxruntime missing: the router is optional
        log.info("no intent router (%s): the model decides about tools alone", exc)
        return None
    return IntentRouter(embedder.embed)


# A Home Assistant entity id said aloud ("mute media_player.den_radio") means the home and
# nothing else. The 1.5B model, seeing one, still called set_reminder (a fan's speed became a
# reminder "now") or cancel_reminder (a pause became a cancel): 4 of the 22 home requests of
# the v6 development set. Such a request may call only the home tools.
HOME_DOMAINS = (
    "light", "switch", "fan", "cover", "climate", "lock", "media_player", "scene", "script",
    "sensor", "binary_sensor", "vacuum", "input_boolean", "automation", "alarm_control_panel",
    "humidifier", "water_heater", "button", "select", "number", "siren", "valve", "remote",
    "lawn_mower", "camera", "weather", "person", "device_tracker")
ENTITY_ID = re.compile(r"\b(?:" + "|".join(HOME_DOMAINS) + r")\.[a-z0-9_]+\b")


# A plain command to a household device ("dim the hall lights", "pause the radio in the
# kitchen", "the bedroom fan off"): a verb that switches or moves something and a device
# Home Assistant runs, and nothing of a reminder, a note, the camera or a time. On the
# development sets every such request (27) was a home request, and the model sent some of
# them to set_reminder, cancel_reminder or recall. Only with oculi's own tools: an app's
# music or lighting tool is the app's to choose.
HOME_DEVICE = (r"(?:lights?|lamps?|fans?|blinds?|curtains?|shades?|shutters?|thermostat|heating|heater|"
                r"air ?con\w*|a ?c|door|garage|music|speakers?|tv|television|vacuum|hoover|robot|plugs?|"
                r"humidifier|dehumidifier|kettle|coffee maker|sprinklers?|radio|extractor|dishwasher|"
                r"washing machine|oven|boiler|hot water|water heater|gate|song|track)")
_HOME_VERB = (r"(?:turn|switch|dim|brighten|open|close|shut|lock|unlock|pause|resume|play|mute|unmute|start|"
              r"stop|set|raise|lower|crank|send|put|run|activate|boost|skip|carry on)")
_HOME_COMMAND = re.compile(
    rf"(?:^|\b(?:so|and|then|please|can you|could you|would you)\s+)(?:(?:um+|uh+|okay|ok|so|hey|please|"
    rf"can you|could you|would you)[\s,]+)*{_HOME_VERB}\b.*\b{HOME_DEVICE}\b"
    # or only the device and its state: "the bedroom fan off", "landing lamp on please"
    rf"|^(?:the |my )?(?:\w+ ){{0,3}}{HOME_DEVICE} (?:on|off|to \w+ (?:percent|degrees))(?: please)?\W*$")
_NOT_HOME = re.compile(r"\b(?:remind\w*|reminders?|timers?|alarms?|notes?|remember|photos?|pictures?|video|record\w*|"
                       r"translat\w*|camera|when|later|tomorrow|tonight|morning|evening|minutes?|hours?|"
                       r"o'?clock|[ap]\.?m\b|at \w+(?: \w+)? (?:am|pm)|every|each)\b")


def home_command(request: str) -> bool:
    """Whether `request` is plainly a command to a household device (see _HOME_COMMAND)."""
    said = plain(request).strip()
    return bool(_HOME_COMMAND.search(said)) and not _NOT_HOME.search(said)

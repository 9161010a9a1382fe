"""Calls kept to what the wearer said (oculi.agent.said) and Home Assistant's services
(oculi.tools.homeassistant.services). The requests are written for these tests."""

from __future__ import annotations

import json
from typing import Any

from oculi.agent.router import ROUTED_TOOLS
from oculi.agent.said import kept_to_the_request, call_instead_of_words, tools_asked_for
from oculi.llm.messages import ToolCall
from oculi.tools.homeassistant.services import fitted

OWN = ROUTED_TOOLS  # oculi's own tools, answer_directly among them


def call(name: str, **args: Any) -> ToolCall:
    return ToolCall(name, json.dumps(args))


def mended(request: str, name: str, offered: Any = OWN, free: bool = True, **args: Any) -> tuple[str, dict]:
    out = kept_to_the_request([call(name, **args)], request, offered, free=free)
    return out[0].name, out[0].parsed_arguments()


def test_a_home_call_gets_the_entity_id_as_it_was_said() -> None:
    assert mended("switch off switch.loft_extractor", "home_call_service", domain="fan", service="turn_off",
                  entity_id="fan.loft_extractor") == (
        "home_call_service", {"domain": "switch", "service": "turn_off", "entity_id": "switch.loft_extractor"})
    generic = mended("turn off light.porch_wall", "home_call_service", domain="homeassistant", service="turn_off",
                     entity_id="light.x")
    assert generic[1]["domain"] == "homeassistant" and generic[1]["entity_id"] == "light.porch_wall"
    assert mended("is fan.loft on", "home_get_state", entity_id="climate.loft") == (
        "home_get_state", {"entity_id": "fan.loft"})
    other = [call("set_timer", label="fan.loft")]
    assert kept_to_the_request(other, "is fan.loft on", OWN) == other  # not a home call
    two = [call("home_get_state", entity_id="light.a")]
    assert kept_to_the_request(two, "is light.b or light.c on", OWN) == two  # which one: the model's


def test_a_home_call_gets_a_service_its_domain_has() -> None:
    # a service only one domain has: that domain, the id's domain too
    assert fitted({"domain": "cover", "service": "unlock", "entity_id": "cover.shed"}) == {
        "domain": "lock", "service": "unlock", "entity_id": "lock.shed"}
    # a fan has no temperature: its number is a speed
    assert fitted({"domain": "fan", "service": "set_temperature", "entity_id": "fan.attic",
                   "data": {"temperature": 70}}) == {
        "domain": "fan", "service": "set_percentage", "entity_id": "fan.attic", "data": {"percentage": 70}}
    # volume is a level from 0 to 1
    assert fitted({"domain": "media_player", "service": "set_volume", "entity_id": "media_player.den",
                   "data": {"volume": 45}})["data"] == {"volume_level": 0.45}
    # play_media with a placeholder for media: resume what was playing
    assert fitted({"domain": "media_player", "service": "play_media", "entity_id": "media_player.den",
                   "data": {"media_content_id": "your_song_id"}}) == {
        "domain": "media_player", "service": "media_play", "entity_id": "media_player.den", "data": None}
    # a mode said, no temperature: the hvac mode
    assert fitted({"domain": "climate", "service": "set_temperature", "entity_id": "climate.loft",
                   "data": {"temperature": 19}}, "switch climate.loft to cooling mode")["data"] == {"hvac_mode": "cool"}
    # right calls, the generic domain and unknown domains are left alone
    right = {"domain": "light", "service": "turn_on", "entity_id": "light.desk", "data": {"brightness_pct": 30}}
    assert fitted(right) == right
    assert fitted({"domain": "homeassistant", "service": "lock", "entity_id": "lock.x"})["domain"] == "homeassistant"
    custom = {"domain": "my_integration", "service": "do_it", "entity_id": "my_integration.x"}
    assert fitted(custom) == custom


def test_a_stated_fact_is_for_the_memory_not_a_reminder_or_a_note() -> None:
    assert mended("my gym locker is number fifty two, keep that in mind", "set_reminder",
                  text="keep that in mind", when="tomorrow 9:00") == (
        "remember", {"fact": "my gym locker is number fifty two"})
    assert mended("fyi the spare bike key hangs by the boiler", "take_note",
                  text="spare bike key") == ("remember", {"fact": "the spare bike key hangs by the boiler"})
    # asked for: a reminder and a note stay
    assert mended("nudge me at six to water the ferns", "set_reminder", text="water the ferns",
                  when="6 pm")[0] == "set_reminder"
    assert mended("jot this: buy sandpaper", "take_note", text="buy sandpaper")[0] == "take_note"
    # an app's own tools, or a tool the client required: never another tool
    assert mended("my gym locker is fifty two", "set_reminder", offered={"set_reminder", "remember", "weather"},
                  text="x", when="now")[0] == "set_reminder"
    assert mended("my gym locker is fifty two", "set_reminder", free=False, text="x", when="now")[0] == "set_reminder"


def test_a_look_question_reaches_the_camera_as_it_was_asked() -> None:
    assert mended("which bus number is that one pulling in", "describe_view", question="Describe the view.") == (
        "describe_view", {"question": "which bus number is that one pulling in"})
    assert mended("how tall is the tree right in front of me", "recall", question="tree height") == (
        "describe_view", {"question": "how tall is the tree right in front of me"})
    kept = mended("is the kettle on the left steaming", "describe_view", question="Is the kettle steaming?")
    assert kept[1]["question"] == "Is the kettle steaming?"  # it kept the question's words
    # the wearer's past stays with the memory
    assert mended("what did i see in front of me at the station", "recall", question="station")[0] == "recall"


def test_a_reminder_falls_on_the_day_that_was_said() -> None:
    assert mended("remind me thursday at ten to renew the permit", "set_reminder", text="renew the permit",
                  when="2027-01-05 10:00")[1]["when"] in ("thursday at 10:00", "thursday at ten")
    same = mended("remind me thursday at ten to renew the permit", "set_reminder", text="renew the permit",
                  when="thursday 10 am")
    assert same[1]["when"] == "thursday 10 am"
    assert mended("remind me at ten to renew the permit", "set_reminder", text="renew the permit",
                  when="2027-01-05 10:00")[1]["when"] == "2027-01-05 10:00"  # no day named


def test_translate_gets_the_words_that_were_said() -> None:
    assert mended("how would i say two tickets to the museum please in swedish", "translate",
                  text="två biljetter", target_language="Swedish")[1]["text"] == "two tickets to the museum please"
    assert mended("what does bonne chance mean in english", "translate", text="good luck",
                  target_language="English")[1]["text"] == "bonne chance"
    assert mended("translate the shop closes at noon into polish", "translate", text="the shop closes at noon",
                  target_language="Polish")[1]["text"] == "the shop closes at noon"
    # no language named and none asked for: no translation, the words answer (the escape)
    assert mended("what makes a sunset look orange", "translate", text="what makes a sunset look orange",
                  target_language="English") == ("answer_directly", {})
    # without the escape it stays a call (a client's "required")
    assert mended("what makes a sunset look orange", "translate", offered=OWN - {"answer_directly"},
                  text="x", target_language="English")[0] == "translate"


def names(choice: dict | None) -> list[str] | None:
    return None if choice is None else [t["function"]["name"] for t in choice["allowed_tools"]["tools"]]


def test_an_entity_id_or_a_plain_home_command_narrows_the_call_to_the_home_tools() -> None:
    tools = [{"type": "function", "function": {"name": n}}
             for n in ("set_reminder", "home_call_service", "home_get_state")]
    choice = tools_asked_for("Set fan.attic_vent to thirty percent", tools)
    assert choice is not None and choice["allowed_tools"]["mode"] == "required"
    assert names(choice) == ["home_call_service", "home_get_state"]
    assert names(tools_asked_for("see e.g. the docs", tools)) is None  # a dot between words is no entity id
    assert names(tools_asked_for("pause media_player.den", tools[:1])) is None  # no home tool offered
    # a plain command to a household device, with oculi's own tools only
    assert names(tools_asked_for("um switch the landing lamp off", tools)) == ["home_call_service", "home_get_state"]
    app = [*tools, {"type": "function", "function": {"name": "play_music"}}]
    assert tools_asked_for("pause the music in the den", app) is None  # the app's music tool may be meant
    # a reminder, a time or the camera in it: the model decides
    assert tools_asked_for("remind me to turn off the landing lamp", tools) is None
    assert tools_asked_for("turn off the landing lamp at eleven pm", tools) is None


def test_a_translation_asked_for_narrows_the_call_to_translate() -> None:
    tools = [{"type": "function", "function": {"name": n}} for n in ("take_note", "translate", "set_reminder")]
    assert names(tools_asked_for("how would i say my bag is missing in polish", tools)) == ["translate"]
    assert names(tools_asked_for("could you put where's the ferry into turkish", tools)) == ["translate"]
    assert tools_asked_for("remind me to say hello in dutch", tools) is None  # a reminder first
    assert tools_asked_for("why is polish grammar hard", tools) is None
    app = [*tools, {"type": "function", "function": {"name": "dictionary"}}]
    assert tools_asked_for("how would i say my bag is missing in polish", app) is None  # the app's tools


def test_more_calls_kept_to_the_request() -> None:
    # a question about a device's state reads it, it does not switch it
    assert mended("hmm is switch.garden_pump still on", "home_call_service", domain="switch", service="turn_off",
                  entity_id="switch.garden_pump") == ("home_get_state", {"entity_id": "switch.garden_pump"})
    # a number given in another service's field: that service; "halfway" is 50
    assert fitted({"domain": "cover", "service": "open_cover", "entity_id": "cover.loft",
                   "data": {"position": "halfway"}})["service"] == "set_cover_position"
    # a video as long as said
    assert mended("film the next two minutes of the match", "record_video", duration="10 seconds") == (
        "record_video", {"duration": "two minutes"})
    assert mended("film this for ten seconds", "record_video", duration="10 seconds")[1] == {"duration": "10 seconds"}
    # something in view, asked with "this", goes to the camera; "this morning" is the past
    assert mended("which bus stops at this shelter", "recall", question="bus")[0] == "describe_view"
    assert mended("which bus did i take this morning", "recall", question="bus")[0] == "recall"
    # a cancel names the reminder the request names
    assert mended("scrap the reminder about the vet", "cancel_reminder", which="call the plumber") == (
        "cancel_reminder", {"which": "vet"})
    # "what does … say", no language: read aloud
    assert mended("what does the board above the gate say", "translate", text="the board",
                  target_language="English") == ("read_text_aloud", {})


def test_a_request_with_a_time_stays_a_reminder() -> None:
    assert mended("wake me at six thirty", "set_reminder", text="wake up", when="6:30 am")[0] == "set_reminder"
    assert mended("the plumber comes tomorrow at nine", "set_reminder", text="plumber",
                  when="tomorrow 9 am")[0] == "set_reminder"


def test_a_question_about_a_topic_is_no_command_and_no_translation() -> None:
    tools = [{"type": "function", "function": {"name": n}} for n in ("home_call_service", "translate")]
    assert tools_asked_for("is it cheaper to leave the hall lights on or switch them off", tools) is None
    assert names(tools_asked_for("the spare room heater off please", tools)) == ["home_call_service"]
    question = "is poetry from portuguese harder to translate than prose"
    assert tools_asked_for(question, tools) is None
    assert mended(question, "translate", text=question, target_language="English") == ("answer_directly", {})


def test_a_device_word_names_the_domain_when_no_id_is_said() -> None:
    assert mended("okay switch off the landing light", "home_call_service", domain="switch", service="turn_off",
                  entity_id="switch.landing_light")[1] == {
        "domain": "light", "service": "turn_off", "entity_id": "light.landing_light"}
    # an id said is kept as said, whatever the words
    assert mended("switch off switch.landing_light", "home_call_service", domain="switch", service="turn_off",
                  entity_id="switch.landing_light")[1]["domain"] == "switch"


def test_the_past_is_recalled_and_a_cancel_names_what_was_said() -> None:
    assert mended("what did i see at the bakery on friday", "describe_view", question="bakery") == (
        "recall", {"question": "what did i see at the bakery on friday"})
    assert mended("forget the reminder about the boiler service, delete it", "cancel_reminder",
                  which="reminder") == ("cancel_reminder", {"which": "boiler service"})


def test_timers_notes_and_ids_as_said() -> None:
    assert mended("give me ninety seconds for the eggs", "set_timer", minutes=90, label="eggs")[1] == {
        "hours": 0, "minutes": 0, "seconds": 90, "label": "eggs"}
    assert mended("a twelve minute timer", "set_timer", minutes=12)[1] == {"minutes": 12}  # right: kept
    assert mended("did i jot down the locker code", "take_note", text="locker code") == (
        "find_notes", {"query": "locker code"})
    assert mended("note that the van is due back friday", "remember", fact="the van is due back friday") == (
        "take_note", {"text": "the van is due back friday"})
    assert mended("turn the lamp on, it's switch.reading_lamp", "home_call_service", domain="light",
                  service="turn_on", entity_id="switch.reading_lamp")[1]["domain"] == "switch"
    assert fitted({"domain": "light", "service": "turn_off", "entity_id": "light.den"}, "dim the den light")[
        "service"] == "turn_on"


def test_a_declined_question_about_the_view_goes_to_the_camera() -> None:
    look = call_instead_of_words("hmm is that bird on the railing a heron", OWN)
    assert look is not None and look.name == "describe_view"
    assert look.parsed_arguments() == {"question": "is that bird on the railing a heron"}
    read = call_instead_of_words("read me what this parking sign says", OWN)
    assert read is not None and read.name == "read_text_aloud"
    past = call_instead_of_words("what did i see at the station this morning", OWN)  # the past: memory
    assert past is not None and past.name == "recall"
    notes = call_instead_of_words("what did i jot down about the boiler", OWN)
    assert notes is not None and notes.name == "find_notes" and notes.parsed_arguments() == {"query": "boiler"}
    assert call_instead_of_words("read me my latest notes", OWN) is None  # the notes tool's
    assert call_instead_of_words("snap this view for me", OWN) is None  # a photo, not a question
    assert call_instead_of_words("is the shed door open right now", OWN) is None  # a home device
    assert call_instead_of_words("is that bird a heron", {"describe_view", "weather"}) is None  # an app's tools
    assert call_instead_of_words("is that bird a heron", OWN, free=False) is None


def test_questions_are_not_facts_and_the_glasses_state_is_asked_of_the_device() -> None:
    assert mended("the bus is late again should i walk or wait", "take_note", text="bus late") == (
        "answer_directly", {})
    assert mended("any trick for keeping basil alive", "remember", fact="basil") == ("answer_directly", {})
    assert mended("remember that the basil needs water daily", "remember", fact="basil needs water")[0] == "remember"
    tools = [{"type": "function", "function": {"name": n}} for n in ("device_status", "record_video", "translate")]
    assert names(tools_asked_for("are you running low on battery i want to film the match", tools)) == [
        "device_status"]
    assert tools_asked_for("do you think batteries last longer in the cold", tools) is None
    assert names(tools_asked_for("so how would i ask for the bill in thai like at the end of dinner", tools)) == [
        "translate"]



def test_a_reminder_falls_at_the_time_that_was_said() -> None:
    """The model's own clock arithmetic is replaced by the wearer's words; a `when` that means
    the same moment is left as it was; two times in one request are left to the model."""
    from datetime import datetime

    from oculi.tools.builtins.clocktime import resolve_when

    now = datetime(2031, 5, 6, 11, 20)
    _, args = mended("in twenty five minutes remind me to stretch my legs", "set_reminder",
                     text="stretch my legs", when="11:50")
    assert resolve_when(args["when"], now) == datetime(2031, 5, 6, 11, 45)
    _, args = mended("remind me tonight at twenty past eight to feed the fish", "set_reminder",
                     text="feed the fish", when="tomorrow 8:20")
    assert resolve_when(args["when"], now) == datetime(2031, 5, 6, 20, 20)
    _, args = mended("remind me on saturday at seven oh five pm to leave for the show", "set_reminder",
                     text="leave for the show", when="19:00")
    assert resolve_when(args["when"], now) == datetime(2031, 5, 10, 19, 5)
    kept = {"text": "feed the fish", "when": "20:20"}
    assert mended("remind me tonight at twenty past eight to feed the fish", "set_reminder", **kept)[1] == kept
    two = {"text": "take the tablets at nine", "when": "at six"}
    assert mended("remind me at six to take the tablets at nine", "set_reminder", **two)[1] == two


def test_the_verb_said_picks_the_service() -> None:
    """Another service of the same device's verbs gives way to the one said; a service the
    verbs do not cover (a song to play, a position to set) stays."""
    assert fitted({"domain": "vacuum", "service": "turn_off", "entity_id": "vacuum.attic"},
                  "send vacuum.attic home to charge")["service"] == "return_to_base"
    assert fitted({"domain": "media_player", "service": "media_stop", "entity_id": "media_player.den"},
                  "skip to the next track in the den")["service"] == "media_next_track"
    assert fitted({"domain": "lock", "service": "lock", "entity_id": "lock.shed"},
                  "unlock lock.shed")["service"] == "unlock"
    assert fitted({"domain": "cover", "service": "set_cover_position", "entity_id": "cover.loft",
                   "data": {"position": 30}}, "open the loft blind to thirty percent")["service"] == "set_cover_position"
    assert fitted({"domain": "media_player", "service": "play_media", "entity_id": "media_player.den",
                   "data": {"media_content_id": "folk"}}, "play some folk in the den")["service"] == "play_media"


def test_a_timer_is_named_only_as_said() -> None:
    assert mended("start a five minute timer", "set_timer", minutes=5, label="ferry departure")[1]["label"] == ""
    assert mended("start a 5-minute timer", "set_timer", minutes=5, label="ferry start")[1]["label"] == ""
    assert mended("five minute timer for the rice", "set_timer", minutes=5, label="rice")[1]["label"] == "rice"

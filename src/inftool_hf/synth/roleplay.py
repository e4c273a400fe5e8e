"""Three-agent role-play: User Simulator, Tool-Calling Assistant, MCP Server.

Each conversation is an :class:`Episode`, a small state machine that says what it needs next: a
scripted message (no model), or a generation from the assistant's backend. The batched driver
(:func:`role_play`) collects every open episode's request into one ``backend.generate`` call per
round, so the engine stays saturated; :func:`run_episode_async` drives one episode over an async
backend (an OpenAI-compatible client), which is what a distributed runner (datatrove's
``InferenceRunner`` query builder) calls per document.

Modes (``RolePlayConfig.assistant``):

- ``model``: the assistant is the model under training (or a teacher); every assistant turn is
  generated with the tools, calls are parsed and executed. Verification decides what is kept.
- ``blueprint``: the gold plan's calls are issued as the assistant's calls, and the model writes the
  natural-language turns (final answers) from the real simulated results. Cold-start data for a
  model too weak to call tools yet; correct by construction, still verified.

``RolePlayConfig.user``: ``template`` renders the user's messages from the blueprint (every value
the gold calls need is stated, so arguments are grounded); ``llm`` asks the user backend to write them
from the persona and falls back to the template when a value the plan needs is missing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_to_parquet
from inftool_hf.configs import SYSTEM_PROMPT, ConfigError, SamplingConfig
from inftool_hf.synth import realize
from inftool_hf.synth.scenarios import NO_CALL_CATEGORIES, PlannedCall, Scenario, user_stated_values
from inftool_hf.synth.simulator import ToolSimulator, operation_kind
from inftool_hf.synth.tool_pool import ToolPool
from inftool_hf.tool_calls import make_tool_call
from inftool_hf.verify.faithfulness import Context, decline_problems, unsupported_claims

logger = logging.getLogger(__name__)



@dataclass
class RolePlayConfig:
    """How conversations are played."""

    mode: str = field(
        default="blueprint",
        metadata={"help": "blueprint: the user's request is grounded in the gold plan, calls are checked against it. "
                          "free: InfTool-style open role-play for strong models; the user LLM writes the request from "
                          "the persona and need, there is no gold plan to match, and verification (plus the judge) "
                          "decides."},
    )
    assistant: str = field(default="blueprint", metadata={"help": "blueprint | model"})
    repair_answers: bool = field(
        default=True,
        metadata={"help": "assistant: model in blueprint mode: a final answer after tool results, or the decline of a "
                          "request no tool fits (miss_func, irrelevance), that a reader would reject (unfaithful, "
                          "unusable) is replaced by one realized from the results (or a plain decline), recorded in "
                          "the row's episode.answer_sources, so a row is kept or rejected for the model's decisions "
                          "(calls, asking, declining), not for a small model's prose."},
    )
    user: str = field(default="template", metadata={"help": "template | llm"})
    server: str = field(default="schema", metadata={"help": "schema | llm | mcp (a live MCP server, see mcp_target)"})
    mcp_target: str | None = field(
        default=None,
        metadata={"help": "roleplay.server: mcp — the server URL (http://127.0.0.1:8765/mcp) or 'stdio:<command>'"},
    )
    max_assistant_turns: int = field(default=6, metadata={"help": "assistant turns before a conversation is cut"})
    shard_size: int = field(
        default=64,
        metadata={"help": "scenarios per shard, the unit written to disk and skipped on resume"},
    )
    concurrency: int | None = field(
        default=None,
        metadata={"help": "conversations open at once (one batched engine call per round); a finished conversation's "
                          "slot goes to the shard's next scenario at once, so rounds stay full instead of shrinking as"
                          " conversations end. None: the whole shard at once."},
    )
    system_prompt: str = field(
        default=SYSTEM_PROMPT,
        metadata={"help": "the one system prompt (configs.SYSTEM_PROMPT)"},
    )
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=160))

    def __post_init__(self) -> None:
        for key, allowed in (("mode", ("blueprint", "free")), ("assistant", ("blueprint", "model")),
                             ("user", ("template", "llm")), ("server", ("schema", "llm", "mcp"))):
            if getattr(self, key) not in allowed:
                raise ConfigError(f"roleplay.{key} must be one of {allowed}, got {getattr(self, key)!r}")
        if self.server == "mcp" and not self.mcp_target:
            raise ConfigError("roleplay.server 'mcp' needs roleplay.mcp_target (a URL or 'stdio:<command>')")
        if self.mode == "free" and (self.assistant != "model" or self.user != "llm"):
            raise ConfigError("roleplay.mode 'free' needs assistant: model and user: llm (there is no gold plan to "
                              "script from)")
        if self.shard_size < 1 or self.max_assistant_turns < 1:
            raise ConfigError("roleplay.shard_size and roleplay.max_assistant_turns must be >= 1")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError(f"roleplay.concurrency must be >= 1 (or null: the whole shard), got {self.concurrency}")


# --- the User Simulator's words --------------------------------------------------------------------

def _value_text(value: Any) -> str:
    return realize.value_text(value)


_DECLINES = ["Sorry, none of the tools I have can {x}.",
             "I can't help with that here: no available function lets me {x}.",
             "Unfortunately I don't have a tool to {x}, so I can't do it for you."]
# Asked only while generating the final answer in blueprint mode; never stored in the trajectory.
FINAL_ANSWER_HINT = "(Answer me now in one or two plain sentences, using the results above.)"
_MARKUP = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<|im_", "<tools>")


class UserSimulator:
    """Writes the user's turns from the scenario (``realize``: sentences from the tools' descriptions and the
    planned values, no model); answers clarification questions consistently."""

    def __init__(self, pool: ToolPool):
        self.pool = pool

    def _rng(self, scenario: Scenario, turn: int = 0) -> random.Random:
        return random.Random(scenario.seed * 7919 + turn)

    def first_message(self, scenario: Scenario) -> str:
        tools = self.pool.tools
        rng = self._rng(scenario)
        calls = [c for c in scenario.calls if c.turn == 0]
        if scenario.category in NO_CALL_CATEGORIES:
            tool = tools[str(scenario.missing_tool)]  # set for every no-call category
            return realize.request_sentence(tool.description, tool.name, scenario.knows, rng)
        if scenario.category == "parallel":
            tool = tools[calls[0].name]
            return realize.parallel_sentence(tool.description, tool.name, [c.arguments for c in calls], rng)
        ordered = sorted(calls, key=lambda c: c.step)
        first = ordered[0]
        skip = set(first.sources) | (set(scenario.withheld) if scenario.category == "miss_param" else set())
        text = realize.request_sentence(tools[first.name].description, first.name, first.arguments, rng, skip)
        for call in ordered[1:]:
            tool = tools[call.name]
            lead = rng.choice(["Then", "After that, please", "Once that's done,"]) if call.sources else \
                rng.choice(["Also,", "And at the same time,", "While you're at it,"])
            text += " " + realize.also_sentence(tool.description, tool.name, call.arguments, rng, lead,
                                                set(call.sources))
        return text

    def follow_up(self, scenario: Scenario, turn: int) -> str | None:
        calls = [c for c in scenario.calls if c.turn == turn]
        if not calls:
            return None
        rng = self._rng(scenario, turn)
        parts = []
        for call in calls:
            tool = self.pool.tools[call.name]
            phrase, is_verb, details = realize.request_parts(tool.description, tool.name, call.arguments, rng,
                                                            set(call.sources))
            parts.append((phrase if is_verb else f"get me the {phrase}") + realize.attach(details))
        opener = rng.choice(["Thanks! Now", "Great. Next, please", "Perfect, and now"])
        return f"{opener} {' and '.join(parts)}, for the one you just found."

    def clarification_answer(self, scenario: Scenario) -> str:
        rng = self._rng(scenario, 99)
        clauses = [realize.clause(k, v, rng) for k, v in scenario.withheld.items()]
        text = realize.join_clauses(clauses)
        return text[:1].upper() + text[1:] + ("" if text.endswith(('"', ".")) else ".")

    def free_prompt(self, scenario: Scenario) -> list[dict[str, Any]]:
        facts = "; ".join(f"{k.replace('_', ' ')}: {_value_text(v)}" for k, v in scenario.knows.items())
        return [{"role": "user", "content": (
            f"You are {scenario.persona}. You want an assistant to help you with this: {scenario.need}. "
            f"Facts you know: {facts or 'none'}. Write your message to the assistant (one or two sentences, "
            "first person, mention the facts it needs).")}]

    def free_answer(self, scenario: Scenario) -> str:
        facts = "; ".join(f"{k.replace('_', ' ')} is {_value_text(v)}" for k, v in scenario.knows.items())
        return f"Sure: {facts}." if facts else "I don't have more details, sorry."

    def llm_prompt(self, scenario: Scenario, template: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": (
            f"You are {scenario.persona}. Rewrite this request to an assistant in your own words, as one short "
            f"message. Keep every name, number, date and id exactly as written.\nRequest: {template}")}]


def _grounded(text: str, scenario: Scenario, turn: int) -> bool:
    """Whether an LLM-written user message still states every value the plan needs from the user."""
    values: list[Any] = []
    for call in scenario.calls:
        if call.turn == turn:
            values += [v for k, v in call.arguments.items() if k not in call.sources and k not in scenario.withheld]
    flat: list[Any] = []
    for value in values:
        flat += value if isinstance(value, list) else [value]
    lowered = text.lower()
    return all(str(v).lower() in lowered for v in flat if isinstance(v, (str, int, float)) and not isinstance(v, bool))


def usable_text(text: str) -> bool:
    """A natural-language turn worth keeping: not empty, no chat markup, not degenerate repetition."""
    if not text or len(text) > 2000 or any(mark in text for mark in _MARKUP):
        return False
    words = text.split()
    return len(words) >= 3 and len(set(words)) / len(words) >= 0.4


# --- one conversation ------------------------------------------------------------------------------

@dataclass
class Request:
    """What an episode needs next: a message to append, or a generation from the backend."""

    scripted: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None


def _message(role: str, content: str = "", tool_calls: list | None = None, tool_call_id: str | None = None,
             name: str | None = None) -> dict[str, Any]:
    return {"role": role, "content": content, "tool_calls": tool_calls, "tool_call_id": tool_call_id, "name": name}


class Episode:
    """One scenario played out; call :meth:`next_request` and feed back with :meth:`observe`."""

    def __init__(self, scenario: Scenario, pool: ToolPool, config: RolePlayConfig, first_user_message: str,
                 server_backend: Any = None, implementations: dict[str, Any] | None = None):
        self.scenario, self.pool, self.config = scenario, pool, config
        self.user = UserSimulator(pool)
        self.shown = [pool.tools[name] for name in scenario.tools]
        self.openai_tools = [tool.to_openai() for tool in self.shown]
        self.messages = [_message("system", config.system_prompt), _message("user", first_user_message)]
        self.turn = 0
        self.steps_done: set[int] = set()
        self.free = config.mode == "free"
        # free mode: the user answers at most one question, with everything they know
        self.clarified = not scenario.withheld if not self.free else False
        self.assistant_turns = 0
        self.done = False
        self.parse_errors: list[str | None] = []
        self.scripted_turns = 0
        self.answer_sources: list[str] = []  # per final answer: "model" (kept as written) or "realized"
        user_ids = user_stated_values(scenario.blueprint())
        self.server: Any
        if config.server == "mcp":
            from inftool_hf.synth.mcp_client import MCPToolServer

            self.server = MCPToolServer(config.mcp_target or "")  # one session per conversation (target checked)
        else:
            self.server = ToolSimulator({t.name: t for t in self.shown},
                                        planned=[c.__dict__ for c in scenario.calls], user_ids=user_ids,
                                        seed=scenario.seed, llm_backend=server_backend,
                                        implementations=implementations)

    # what the assistant should do now, in blueprint mode
    def _pending_step(self) -> list[PlannedCall]:
        pending = [c for c in self.scenario.calls if c.turn == self.turn and c.step not in self.steps_done]
        if not pending:
            return []
        step = min(c.step for c in pending)
        return [c for c in pending if c.step == step]

    def next_request(self) -> Request | None:
        if self.done:
            return None
        if self.config.assistant == "model":
            return Request(messages=self.messages, tools=self.openai_tools)
        if not self.clarified:
            missing = ", ".join(k.replace("_", " ") for k in self.scenario.withheld)
            return Request(scripted=_message("assistant", f"Sure, I can do that. Which {missing} should I use?"))
        if self.scenario.category in NO_CALL_CATEGORIES:
            return Request(scripted=_message("assistant", self._decline()))
        pending = self._pending_step()
        if pending:
            calls = [make_tool_call(c.name, c.arguments, f"call_{self.assistant_turns}_{i}")
                     for i, c in enumerate(pending)]
            return Request(scripted=_message("assistant", "", tool_calls=calls))
        # the natural-language turn: written by the model from the real results, without tools
        return Request(messages=[*self.messages, _message("user", FINAL_ANSWER_HINT)], tools=None)

    def observe(self, message: dict[str, Any], parse_error: str | None = None, scripted: bool = False) -> None:
        """Append the assistant's turn, run its calls through the server, and let the user answer."""
        if not scripted and (self.config.assistant == "blueprint" or (
                self.config.repair_answers and not self.free and not message.get("tool_calls")
                and (self.messages[-1]["role"] == "tool" or self.scenario.category in NO_CALL_CATEGORIES))):
            written = len(self.answer_sources)
            message = self._final_text(message)
            if self.answer_sources[written:] == ["realized"]:
                parse_error = None  # the text that failed to parse was replaced: it is not in the row
        self.messages.append(_message("assistant", message.get("content") or "", message.get("tool_calls") or None))
        self.parse_errors.append(parse_error)
        self.assistant_turns += 1
        self.scripted_turns += int(scripted)
        calls = message.get("tool_calls") or []
        if calls and scripted and (pending := self._pending_step()):
            self.steps_done.add(pending[0].step)
        for call in calls:
            result = self.server.execute(call["function"]["name"], call["function"]["arguments"])
            self.messages.append(_message("tool", json.dumps(result, ensure_ascii=False), tool_call_id=call["id"],
                                          name=call["function"]["name"]))
        if self.assistant_turns >= self.config.max_assistant_turns:
            self._finish()
            return
        if calls:
            return
        # a text turn: the user answers a question, asks a follow-up, or the conversation ends
        if self.free:
            asked = "?" in (message.get("content") or "")
            if asked and not self.clarified:
                self.clarified = True
                self.messages.append(_message("user", self.user.free_answer(self.scenario)))
                return
            self._finish()
            return
        if not self.clarified:
            self.clarified = True
            self.messages.append(_message("user", self.user.clarification_answer(self.scenario)))
            return
        follow_up = self.user.follow_up(self.scenario, self.turn + 1)
        if follow_up is not None:
            self.turn += 1
            self.messages.append(_message("user", follow_up))
            return
        self._finish()

    def _finish(self) -> None:
        self.done = True
        close = getattr(self.server, "close", None)
        if callable(close):
            close()  # a live MCP session ends with its conversation

    def _decline(self) -> str:
        """No tool fits: say so, with the action in the words of the request (its values in place), so the
        decline says nothing new."""
        tool = self.pool.tools[str(self.scenario.missing_tool)]
        phrase, is_verb, _ = realize.request_parts(tool.description, tool.name, self.scenario.knows, random.Random(0))
        action = phrase if is_verb else f"give you the {phrase}"
        return _DECLINES[self.scenario.seed % len(_DECLINES)].format(x=action)

    def _final_text(self, message: dict[str, Any]) -> dict[str, Any]:
        """The model's answer when it is usable and says only what the results support; otherwise an answer
        realized from the results (recorded as scripted, so the data says which turns the model wrote)."""
        text = (message.get("content") or "").strip()
        after_calls = self.messages[-1]["role"] == "tool"
        declines = self.scenario.category in NO_CALL_CATEGORIES
        if usable_text(text) and not message.get("tool_calls") and (not declines or not decline_problems(text)) and \
                not unsupported_claims(text, Context(self.messages, self.openai_tools), after_calls):
            self.answer_sources.append("model")
            return {"content": text}
        self.scripted_turns += 1
        self.answer_sources.append("realized")
        if self.scenario.category in NO_CALL_CATEGORIES:  # the blueprint's decline, not one sentence for all
            return {"content": self._decline()}
        calls: list[Any] = []
        results: list[Any] = []
        for previous in reversed(self.messages):
            if previous["role"] == "user":
                break
            if previous["role"] == "tool":
                calls.insert(0, previous.get("name") or "")
                results.insert(0, json.loads(previous["content"]))
        rng = random.Random(self.scenario.seed * 31 + self.assistant_turns)
        descriptions = {t["function"]["name"]: t["function"].get("description") or "" for t in self.openai_tools}
        kinds = [operation_kind(c, descriptions.get(c, "")) for c in calls]
        return {"content": realize.answer_text(calls, results, kinds, rng) if results else "Done."}

    def to_row(self, iteration: int, generator: dict[str, str]) -> dict[str, Any]:
        scenario = self.scenario
        return {
            "id": scenario.id, "iteration": iteration, "category": scenario.category, "domain": scenario.domain,
            "seed": scenario.seed, "tools": json.dumps(self.openai_tools, ensure_ascii=False),
            "messages": self.messages, "blueprint": json.dumps(scenario.blueprint(), ensure_ascii=False),
            "generator": generator,
            "episode": json.dumps({"mode": self.config.mode, "parse_errors": self.parse_errors,
                                   "server_state": self.server.state.snapshot(),
                                   "scripted_turns": self.scripted_turns, "answer_sources": self.answer_sources,
                                   "finished": self.done}),
        }


# --- drivers ---------------------------------------------------------------------------------------

def _opening(scenario: Scenario, simulator: UserSimulator, config: RolePlayConfig,
             user_backend: Any) -> tuple[list[dict[str, Any]] | None, str]:
    """The user model's prompt for the first message (None: the template is the message), and the fallback."""
    if config.mode == "free":
        if user_backend is None:
            raise ConfigError("roleplay.mode 'free' needs a user backend")
        return simulator.free_prompt(scenario), scenario.need
    template = simulator.first_message(scenario)
    if config.user == "template" or user_backend is None:
        return None, template
    return simulator.llm_prompt(scenario, template), template


def _opening_text(generation: Any, scenario: Scenario, fallback: str, config: RolePlayConfig) -> str:
    text = (generation.message.get("content") or "").strip()
    if config.mode == "free":
        return text or fallback
    return text if text and _grounded(text, scenario, 0) else fallback  # (a request the scenario grounds)


def _first_messages(scenarios: list[Scenario], pool: ToolPool, config: RolePlayConfig, user_backend: Any) -> list[str]:
    simulator = UserSimulator(pool)
    openings = [_opening(s, simulator, config, user_backend) for s in scenarios]
    asked = [i for i, (prompt, _) in enumerate(openings) if prompt is not None]
    out = [fallback for _, fallback in openings]
    if asked:  # one batched call for every user-model opening
        generations = user_backend.generate([openings[i][0] for i in asked], None, config.sampling)
        for i, generation in zip(asked, generations, strict=True):
            out[i] = _opening_text(generation, scenarios[i], openings[i][1], config)
    return out


async def first_message_async(scenario: Scenario, pool: ToolPool, config: RolePlayConfig, user_backend: Any) -> str:
    """The episode's first user message over an async backend: the same choice as the batched driver makes."""
    prompt, fallback = _opening(scenario, UserSimulator(pool), config, user_backend)
    if prompt is None:
        return fallback
    [generation] = await user_backend.agenerate([prompt], None, config.sampling)
    return _opening_text(generation, scenario, fallback, config)


def play_episodes(
    scenarios: list[Scenario],
    pool: ToolPool,
    config: RolePlayConfig,
    assistant_backend: Any,
    user_backend: Any = None,
    server_backend: Any = None,
    implementations: dict[str, Any] | None = None,
) -> list[Episode]:
    """Play scenarios to the end, in their order. Each round is one backend call for every open episode;
    at most ``config.concurrency`` are open, and an episode that ends hands its slot to the next scenario
    before the next round (continuous batching), so the engine sees full batches until the last scenarios."""
    firsts = _first_messages(scenarios, pool, config, user_backend)
    limit = config.concurrency or len(scenarios)
    episodes: list[Episode] = []
    open_episodes: list[Episode] = []
    while True:
        waiting: list[tuple[Episode, Request]] = []
        queue = list(open_episodes)
        while queue or (len(episodes) < len(scenarios) and len(waiting) < limit):
            if queue:
                episode = queue.pop(0)
            else:
                index = len(episodes)
                episode = Episode(scenarios[index], pool, config, firsts[index], server_backend, implementations)
                episodes.append(episode)
            while (request := episode.next_request()) is not None and request.scripted is not None:
                episode.observe(request.scripted, scripted=True)
            if request is not None:
                waiting.append((episode, request))
        if not waiting:
            return episodes
        generations = assistant_backend.generate([r.messages for _, r in waiting], [r.tools for _, r in waiting],
                                                 config.sampling)
        for (episode, _), generation in zip(waiting, generations, strict=True):
            episode.observe(generation.message, generation.parse_error)
        open_episodes = [episode for episode, _ in waiting]


async def run_episode_async(
    scenario: Scenario,
    pool: ToolPool,
    config: RolePlayConfig,
    assistant_backend: Any,
    user_backend: Any = None,
    server_backend: Any = None,
    implementations: dict[str, Any] | None = None,
) -> Episode:
    """One episode over async backends (``await backend.agenerate(...)``): the unit a distributed runner
    schedules, many at once on one event loop. The same turns as :func:`play_episodes` for every mode
    (``blueprint``/``model``/``free``, ``user: llm``, ``server: llm | mcp | python``). A server that answers
    synchronously (a model, an MCP session, a Python tool's process) runs in a worker thread, so the other
    episodes go on meanwhile."""
    first = await first_message_async(scenario, pool, config, user_backend)
    episode = Episode(scenario, pool, config, first, server_backend, implementations)
    blocking_server = server_backend is not None or config.server == "mcp" or bool(implementations)

    async def observe(message: dict[str, Any], parse_error: str | None = None, scripted: bool = False) -> None:
        if blocking_server:  # (the tool calls in the turn go to that server)
            await asyncio.to_thread(episode.observe, message, parse_error, scripted)
        else:
            episode.observe(message, parse_error, scripted)

    while (request := episode.next_request()) is not None:
        if request.scripted is not None:
            await observe(request.scripted, scripted=True)
            continue
        [generation] = await assistant_backend.agenerate([request.messages], [request.tools], config.sampling)
        await observe(generation.message, generation.parse_error)
    return episode


def trajectory_features():
    """The fixed Arrow schema of trajectory rows, so a shard where no assistant called a tool (all-null
    ``tool_calls``) still concatenates with the others and with earlier runs' shards."""
    from datasets import Features, List, Value

    text = Value("string")
    call = {"id": text, "type": text, "function": {"name": text, "arguments": text}}
    message = {"role": text, "content": text, "tool_calls": List(call), "tool_call_id": text, "name": text}
    return Features({"id": text, "iteration": Value("int64"), "category": text, "domain": text,
                     "seed": Value("int64"), "tools": text, "messages": List(message), "blueprint": text,
                     "generator": {"user": text, "assistant": text, "server": text}, "episode": text})


def role_play(
    scenarios,
    pool: ToolPool,
    config: RolePlayConfig,
    assistant_backend: Any,
    user_backend: Any = None,
    server_backend: Any = None,
    iteration: int = 0,
    shard_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    implementations: dict[str, Any] | None = None,
):
    """Scenarios dataset → trajectories dataset (unverified).

    With ``shard_dir``, each shard of ``config.shard_size`` scenarios is written (atomically) as soon
    as it is played, and shards already on disk are loaded instead of played again, so an interrupted
    run resumes without duplicates or gaps.
    """
    from datasets import Dataset, concatenate_datasets
    from tqdm.auto import tqdm

    generator = {
        "user": config.user if config.user == "template" else getattr(user_backend, "model_name", "llm"),
        "assistant": getattr(assistant_backend, "model_name", "?") + f" ({config.assistant})",
        "server": config.server if config.server == "schema" else getattr(server_backend, "model_name", "llm"),
    }
    directory = Path(shard_dir) if shard_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    shards = []
    size = config.shard_size
    bar = tqdm(total=len(scenarios), desc="role-play", unit="conv", disable=not progress)
    for index, start in enumerate(range(0, len(scenarios), size)):
        path = directory / f"shard-{index:05d}.parquet" if directory is not None else None
        if path is not None and path.exists():
            shards.append(Dataset.from_parquet(str(path)).cast(trajectory_features()))
            bar.update(min(size, len(scenarios) - start))
            continue
        batch = [Scenario.from_row(row) for row in scenarios.select(range(start, min(start + size, len(scenarios))))]
        episodes = play_episodes(batch, pool, config, assistant_backend, user_backend, server_backend,
                                 implementations)
        shard = Dataset.from_list([e.to_row(iteration, generator) for e in episodes], features=trajectory_features())
        if path is not None:
            atomic_to_parquet(shard, path)
        shards.append(shard)
        bar.update(len(batch))
    bar.close()
    return concatenate_datasets(shards) if shards else Dataset.from_list([], features=trajectory_features())

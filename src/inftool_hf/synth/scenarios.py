"""Scenarios: who the user is, what they know, what they need, and the gold call plan (blueprint).

The blueprint is sampled from the tool pool *before* any dialogue, so role-play is grounded in a plan
that is valid by construction and verification has a fixed target. Categories follow BFCL's taxonomy
so results line up with the yardstick:

- ``simple``: one tool shown, one call. ``multiple``: one right tool among distractors, one call.
- ``parallel``: one tool called several times at once. ``parallel_multiple``: several tools at once.
- ``multi_step``: dependent calls; an id returned by one call is an argument of the next; login or
  verification steps gate the rest.
- ``multi_turn``: a follow-up user request after the first answer, often using the first result.
- ``miss_param``: the user leaves out a required value; the assistant must ask, then call.
- ``miss_func``: the needed tool is not available; the assistant must say so, not call another.
- ``irrelevance``: no shown tool fits the request; the assistant must not call any.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from inftool_hf.configs import ConfigError
from inftool_hf.synth.realize import is_plumbing
from inftool_hf.synth.simulator import operation_kind
from inftool_hf.synth.tool_pool import ToolPool, is_minted
from inftool_hf.synth.values import ValueFactory, order_ranges

CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple", "multi_step", "multi_turn",
              "miss_param", "miss_func", "irrelevance")
NO_CALL_CATEGORIES = ("miss_func", "irrelevance")
DEFAULT_MIX = {category: 1.0 for category in CATEGORIES}


@dataclass
class PlannedCall:
    """One gold call. Calls sharing a ``step`` are issued together (parallel)."""

    name: str
    arguments: dict[str, Any]
    step: int = 0
    # Planned values of minted response fields (the simulator returns exactly these).
    outputs: dict[str, Any] = field(default_factory=dict)
    # parameter → {"step", "name" of the producing call, "field" of its response}: from an earlier result.
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Which user turn asks for this call (multi_turn).
    turn: int = 0


@dataclass
class Scenario:
    id: str
    seed: int
    category: str
    domain: str
    difficulty: str
    persona: str
    need: str
    tools: list[str]
    calls: list[PlannedCall]
    # Facts the user can state (parameter → value) and things only a tool can tell (minted ids).
    knows: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    # miss_param: values the user leaves out at first and gives when asked.
    withheld: dict[str, Any] = field(default_factory=dict)
    # miss_func / irrelevance: the tool the user would need (not shown).
    missing_tool: str | None = None

    def blueprint(self) -> dict[str, Any]:
        return {"calls": [asdict(c) for c in self.calls], "tools": self.tools, "withheld": self.withheld,
                "missing_tool": self.missing_tool, "knows": self.knows, "unknown": self.unknown}

    def to_row(self) -> dict[str, Any]:
        return {"id": self.id, "seed": self.seed, "category": self.category, "domain": self.domain,
                "difficulty": self.difficulty, "persona": self.persona, "need": self.need,
                "tools": json.dumps(self.tools), "blueprint": json.dumps(self.blueprint())}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Scenario:
        blueprint = json.loads(row["blueprint"])
        return cls(id=row["id"], seed=row["seed"], category=row["category"], domain=row["domain"],
                   difficulty=row["difficulty"], persona=row["persona"], need=row["need"],
                   tools=json.loads(row["tools"]), calls=[PlannedCall(**c) for c in blueprint["calls"]],
                   knows=blueprint["knows"], unknown=blueprint["unknown"], withheld=blueprint["withheld"],
                   missing_tool=blueprint["missing_tool"])


def check_category_mix(mix: dict[str, float], where: str) -> None:
    """A category mix names known categories with weights >= 0, one of them positive."""
    unknown = sorted(set(mix) - set(CATEGORIES))
    if unknown:
        raise ConfigError(f"{where}: unknown categories {unknown}; valid: {', '.join(CATEGORIES)}")
    bad = {k: v for k, v in mix.items() if isinstance(v, bool) or not isinstance(v, (int, float))}
    if bad:
        raise ConfigError(f"{where}: every weight must be a number, got {bad}")
    if not any(w > 0 for w in mix.values()):
        raise ConfigError(f"{where}: at least one category needs a positive weight")
    if any(w < 0 for w in mix.values()):
        raise ConfigError(f"{where}: weights must be >= 0")


@dataclass
class ScenarioConfig:
    """How many scenarios to sample, and in what category mix (weights; the loop shifts them)."""

    num_scenarios: int = field(default=100, metadata={"help": "scenarios to sample"})
    seed: int = field(default=0, metadata={"help": "same seed, same scenarios"})
    category_mix: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MIX),
        metadata={"help": "weight per category (normalised); categories are allotted by largest remainder"},
    )
    distractors: int = field(
        default=3,
        metadata={"help": "Extra tools shown next to the right ones (multiple, parallel_multiple, miss_func)."},
    )
    optional_rate: float = field(
        default=0.35,
        metadata={"help": "Chance that an optional parameter is part of the gold call, and at most how many a call "
                          "sets."},
    )
    max_optional: int = field(default=3, metadata={"help": "optional parameters one call sets, at most"})
    tool_weights: dict[str, float] = field(
        default_factory=dict,
        metadata={"help": "Optional weights per tool name (gap analysis leans toward tools that failed); default 1."},
    )
    domain_weights: dict[str, float] = field(
        default_factory=dict,
        metadata={"help": "Weights per domain, multiplying tool_weights (default 1): the share of a round that real "
                          "APIs take beside the pack, e.g. {aws_sqs: 0.4, google_tasks: 0.4}."},
    )
    id_prefix: str = field(default="s", metadata={"help": "scenario ids start with this"})
    seeds: list[dict[str, Any]] = field(
        default_factory=list,
        metadata={"help": "Failures to aim at (the loop's error-driven expansion): each ``{'category', 'tools'}`` "
                          "seeds one scenario of that category around those tools, with fresh values, persona and "
                          "phrasing; the rest follow the mix."},
    )

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.domain_weights.items()
               if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0}
        if bad:
            raise ConfigError(f"domain_weights: every weight must be a number > 0, got {bad}")
        if self.num_scenarios < 1:
            raise ConfigError(f"num_scenarios must be >= 1, got {self.num_scenarios}")
        if not 0 <= self.optional_rate <= 1:
            raise ConfigError(f"optional_rate must be between 0 and 1, got {self.optional_rate}")
        if self.distractors < 0:
            raise ConfigError(f"distractors must be >= 0, got {self.distractors}")
        check_category_mix(self.category_mix, "category_mix")
        for index, seed in enumerate(self.seeds):
            if not isinstance(seed, dict) or seed.get("category") not in CATEGORIES \
                    or not isinstance(seed.get("tools", []), list):
                raise ConfigError(f"seeds[{index}]: expected {{category: one of {', '.join(CATEGORIES)}, tools: "
                                  f"[names]}}, got {seed!r}")


class _Sampler:
    def __init__(self, pool: ToolPool, config: ScenarioConfig, seed: int, focus: Sequence[str] = ()):
        self.pool, self.config = pool, config
        self.rng = random.Random(seed)
        self.values = ValueFactory(seed)
        self.seed = seed
        # tools a seeded scenario is built around: picked whenever they are among the candidates
        self.focus = {name for name in focus if name in pool.tools}

    # -- helpers -----------------------------------------------------------------------------------
    def tool_weight(self, name: str) -> float:
        return self.config.tool_weights.get(name, 1.0) * \
            self.config.domain_weights.get(self.pool.tools[name].domain, 1.0)

    def pick(self, names: list[str]) -> str:
        names = [n for n in names if n in self.focus] or names
        weights = [self.tool_weight(n) for n in names]
        return self.rng.choices(names, weights=weights if any(weights) else None)[0]  # (all weighed 0: any)

    def ungated(self) -> list[str]:
        return [n for n in self.pool.tools if not self.pool.gates_for(n)] or list(self.pool.tools)

    def arguments(self, name: str, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
        schema = self.pool.tools[name].parameters
        required = set(schema.get("required", []))
        self.values.context = f"{name} {self.pool.tools[name].domain}"
        self.values.about = self.pool.tools[name].description or ""
        self.values.api = self.pool.tools[name].api
        fixed = fixed or {}
        args = {}
        optional = 0
        for param, sub in (schema.get("properties") or {}).items():
            if param in fixed:
                args[param] = fixed[param]
            elif param in required and param in self.pool.linked:  # an id by another name (``destination`` calendar)
                args[param] = self.planned_id(name, param)
            elif param in required:
                args[param] = self.values.for_schema(sub, param)
            elif optional < self.config.max_optional and not is_plumbing(param) and param != "id" \
                    and self.rng.random() < self.config.optional_rate:
                value = self.values.for_schema(sub, param)
                if value not in ({}, [], ""):  # nobody states an empty object ("the attributes are .")
                    optional += 1  # a person states a few extras, not forty (real specs have tools with dozens)
                    args[param] = value
        self.values.separate_ends(args, schema.get("properties") or {}, keep=set(fixed))
        return order_ranges(args, keep=set(fixed))

    def taken_id(self, call: PlannedCall, field: str) -> Any:
        """The id ``call`` already takes for what its ``field`` reports: a producer that takes the id
        (``update_task(task_id)``, or by another name: ``tasks_tasklists_patch(tasklist=T)`` → ``id`` T) returns
        that one, never a new one."""
        names = [field, *sorted(self.pool.own.get(call.name, {}).get(field, ()))]
        return next((call.arguments[n] for n in names if call.arguments.get(n) not in (None, "")), None)

    def planned_id(self, consumer: str, field: str) -> str:
        """An id a call will hand out: in the form the consuming parameter accepts (its pattern, length) where
        the spec says, else a recognisable minted form (``BK-48213``)."""
        schema = (self.pool.tools[consumer].parameters.get("properties") or {}).get(field) or {}
        if any(k in schema for k in ("pattern", "minLength", "maxLength", "format", "enum")):
            value = self.values.for_schema(schema, field)
            if isinstance(value, str) and value:
                return value
        return self.values.minted_id(field)

    def distractors(self, domain: str, exclude: Collection[str], count: int) -> list[str]:
        same = [n for n in self.pool.domains.get(domain, []) if n not in exclude]
        self.rng.shuffle(same)
        return same[:count]

    def persona(self) -> str:
        faker = self.values.faker
        mood = self.rng.choice(["in a hurry", "chatty", "precise", "polite", "terse"])
        return f"{faker.first_name()}, {faker.job().lower()}, {mood}"

    def finish(self, category: str, calls: list[PlannedCall], shown: list[str], **extra: Any) -> Scenario:
        self.rng.shuffle(shown)
        knows: dict[str, Any] = {}
        unknown: list[str] = []
        for call in calls:
            for param, value in call.arguments.items():
                if param in call.sources:
                    unknown.append(param)
                else:
                    knows[param] = value
        steps = len({c.step for c in calls})
        difficulty = "easy" if len(calls) <= 1 else ("medium" if steps <= 1 else "hard")
        target = calls[-1].name if calls else extra.get("missing_tool")
        need = self.pool.tools[target].description if target else ""
        return Scenario(id=f"{self.config.id_prefix}{self.seed}", seed=self.seed, category=category,
                        domain=self.pool.tools[target].domain if target else "", difficulty=difficulty,
                        persona=self.persona(), need=need, tools=shown, calls=calls, knows=knows,
                        unknown=sorted(set(unknown)), **extra)

    # -- categories --------------------------------------------------------------------------------
    def simple(self) -> Scenario:
        name = self.pick(self.ungated())
        return self.finish("simple", [PlannedCall(name, self.arguments(name))], [name])

    def multiple(self) -> Scenario:
        name = self.pick(self.ungated())
        shown = [name, *self.distractors(self.pool.tools[name].domain, {name}, self.config.distractors)]
        return self.finish("multiple", [PlannedCall(name, self.arguments(name))], shown)

    def parallel(self) -> Scenario:
        candidates = [n for n in self.ungated() if self.pool.tools[n].parameters.get("required")]
        if not candidates:
            return self.simple()
        name = self.pick(candidates)
        calls, seen = [], set()
        for _ in range(self.rng.randint(2, 3)):
            args = self.arguments(name)
            key = json.dumps(args, sort_keys=True)
            if key not in seen:
                seen.add(key)
                calls.append(PlannedCall(name, args))
        if len(calls) < 2:
            return self.simple()
        return self.finish("parallel", calls, [name])

    def parallel_multiple(self) -> Scenario:
        first = self.pick(self.ungated())
        domain = self.pool.tools[first].domain
        others = [n for n in self.pool.domains[domain] if n != first and not self.pool.gates_for(n)]
        if not others:
            return self.parallel()
        second = self.pick(others)
        calls = [PlannedCall(first, self.arguments(first)), PlannedCall(second, self.arguments(second))]
        shown = [first, second, *self.distractors(domain, {first, second}, max(1, self.config.distractors - 1))]
        return self.finish("parallel_multiple", calls, shown)

    def chain(self, consumer: str, depth: int = 0, calls: list[PlannedCall] | None = None) -> list[PlannedCall]:
        """Calls that end in ``consumer``, producers first; each required minted input from a producer.

        One shared list, so a producer needed twice (a login feeding two steps) is planned once.
        """
        calls = [] if calls is None else calls
        if any(c.name == consumer for c in calls):
            return calls
        schema = self.pool.tools[consumer].parameters
        sources: dict[str, dict[str, Any]] = {}
        fixed: dict[str, Any] = {}
        for param in sorted(schema.get("required", [])):
            if depth >= 2:
                continue
            # producers of this id (linked across naming styles: an event's ``id`` fills ``eventId``)
            producers = [d for d in self.pool.producers_for(consumer) if d.parameter == param
                         and param not in self.pool.tools[d.producer].parameters.get("required", [])]
            if not producers:
                continue  # the user knows this id (their own reference)
            dep = self.rng.choice(sorted(producers, key=lambda d: (d.producer, d.field)))
            if not any(c.name == dep.producer for c in calls):
                self.chain(dep.producer, depth + 1, calls)
            producer = next(c for c in calls if c.name == dep.producer)
            # a producer that takes this id itself (update_task(task_id) → task_id) returns the same one
            # an id the plan already holds (get_booking returns the flight the booking was made for) is reused
            known = next((c.arguments.get(param) or c.outputs.get(param) for c in calls
                          if c.arguments.get(param) or c.outputs.get(param)), None) \
                if operation_kind(producer.name) == "read" and dep.field == param else None
            # (a booking call makes a new booking id; an ``id`` is the producer's own, never another's)
            producer.outputs.setdefault(dep.field, self.taken_id(producer, dep.field) or known
                                        or self.planned_id(consumer, param))
            fixed[param] = producer.outputs[dep.field]
            sources[param] = {"step": producer.step, "field": dep.field, "name": producer.name}
        step = max((source["step"] for source in sources.values()), default=-1) + 1
        calls.append(PlannedCall(consumer, self.arguments(consumer, fixed), step=step, sources=sources))
        return calls

    def multi_step(self) -> Scenario:
        consumers = [n for n in self.pool.tools
                     if {d.parameter for d in self.pool.producers_for(n)}
                     & set(self.pool.tools[n].parameters.get("required", []))]
        if not consumers:
            return self.multiple()
        for _ in range(10):
            calls = self.chain(self.pick(consumers))
            if len(calls) >= 2:
                break
        else:
            return self.multiple()
        names = list(dict.fromkeys(c.name for c in calls))  # (a set would order them by the process's hash seed)
        domain = self.pool.tools[calls[-1].name].domain
        shown = [*names, *self.distractors(domain, names, max(1, self.config.distractors - 1))]
        return self.finish("multi_step", calls, shown)

    def multi_turn(self) -> Scenario:
        edges = [d for d in self.pool.dependencies if not d.gate and not self.pool.gates_for(d.producer)
                 and not self.pool.gates_for(d.consumer)]
        if not edges:
            return self.simple()
        dep = self.rng.choice(edges)
        first = PlannedCall(dep.producer, self.arguments(dep.producer), step=0, turn=0)
        first.outputs = {dep.field: self.taken_id(first, dep.field) or self.planned_id(dep.consumer, dep.parameter)}
        fixed = {dep.parameter: first.outputs[dep.field]}
        # other minted inputs of the consumer come from the user (their own references)
        second = PlannedCall(dep.consumer, self.arguments(dep.consumer, fixed), step=1, turn=1,
                             sources={dep.parameter: {"step": 0, "field": dep.field, "name": dep.producer}})
        shown = [dep.producer, dep.consumer, *self.distractors(self.pool.tools[dep.consumer].domain,
                                                               {dep.producer, dep.consumer}, 1)]
        return self.finish("multi_turn", [first, second], shown)

    def miss_param(self) -> Scenario:
        candidates = [n for n in self.ungated()
                      if [p for p in self.pool.tools[n].parameters.get("required", []) if not is_minted(p)]]
        if not candidates:
            return self.simple()
        name = self.pick(candidates)
        call = PlannedCall(name, self.arguments(name))
        required = [p for p in self.pool.tools[name].parameters.get("required", []) if not is_minted(p)]
        param = self.rng.choice(sorted(required))
        shown = [name, *self.distractors(self.pool.tools[name].domain, {name}, 1)]
        return self.finish("miss_param", [call], shown, withheld={param: call.arguments[param]})

    def miss_func(self) -> Scenario:
        name = self.pick(self.ungated())
        domain = self.pool.tools[name].domain
        shown = self.distractors(domain, {name}, self.config.distractors)
        scenario = self.finish("miss_func", [], shown, missing_tool=name)
        scenario.knows = self.arguments(name)
        return scenario

    def irrelevance(self) -> Scenario:
        name = self.pick(self.ungated())
        domain = self.pool.tools[name].domain
        others = sorted(d for d in self.pool.domains if d != domain)
        if not others:  # a single-domain pool (one spec): nothing unrelated to show; the nearest is miss_func
            return self.miss_func()
        other = self.rng.choice(others)
        shown = self.distractors(other, set(), self.config.distractors)
        scenario = self.finish("irrelevance", [], shown, missing_tool=name)
        scenario.knows = self.arguments(name)
        return scenario


def user_stated_values(blueprint: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every value the user states in a planned conversation: their facts, and each planned argument that no
    earlier call produces (parallel calls may state several values for the same parameter)."""
    values = list((blueprint.get("knows") or {}).items())
    values += [(k, v) for call in blueprint.get("calls") or [] for k, v in call["arguments"].items()
               if k not in (call.get("sources") or {})]
    return values


def sample_scenario(pool: ToolPool, config: ScenarioConfig, seed: int, category: str,
                    focus: Sequence[str] = ()) -> Scenario:
    """One scenario of ``category`` (around the ``focus`` tools where they fit); the same seed gives the same
    scenario."""
    if category not in CATEGORIES:
        raise ConfigError(f"unknown category {category!r}; valid: {', '.join(CATEGORIES)}")
    return getattr(_Sampler(pool, config, seed, focus), category)()


def sample_scenarios(pool: ToolPool, config: ScenarioConfig):
    """``config.num_scenarios`` scenarios as a :class:`datasets.Dataset`: first one per seed (``config.seeds``, at
    most all of them), then categories by the mix.

    Categories are assigned by largest remainder over the normalised weights (not drawn at random),
    so small runs still cover every category with a positive weight.
    """
    from datasets import Dataset

    seeds = config.seeds[: config.num_scenarios]
    focuses = [list(s.get("tools") or []) for s in seeds]
    plan = zip(planned_categories(config), focuses + [[] for _ in range(config.num_scenarios - len(seeds))],
                strict=True)
    rows = []
    for index, (category, focus) in enumerate(plan):
        seed = config.seed * 1_000_003 + index
        scenario = sample_scenario(pool, config, seed, category, focus)
        scenario.id = f"{config.id_prefix}{config.seed}-{index:06d}"
        rows.append(scenario.to_row())
    return Dataset.from_list(rows)


# why a category's sampler hands over to another (see the methods of _Sampler)
SHORTFALL_REASONS = {
    "multi_step": "the tool pool has no data-flow chain (a response field that another tool takes)",
    "multi_turn": "the tool pool has no data-flow edge between ungated tools",
    "miss_param": "no tool has a required parameter the user could state",
    "irrelevance": "the tool pool has a single domain (nothing unrelated to show)",
    "parallel": "no tool has a required parameter to call it twice with different values",
    "parallel_multiple": "no domain has two ungated tools to call in one turn",
}


def category_shortfall(config: ScenarioConfig, scenarios: Any) -> dict[str, dict[str, Any]]:
    """The categories the pool could not supply in full: ``{category: {"asked", "sampled", "reason"}}``.
    A sampler that cannot build its category builds a nearby one, so without this a category would vanish from
    the dataset without a word."""
    asked = Counter(planned_categories(config))
    sampled = Counter(scenarios["category"]) if len(scenarios) else Counter()
    return {category: {"asked": count, "sampled": sampled[category],
                       "reason": SHORTFALL_REASONS.get(category, "the tool pool cannot build it")}
            for category, count in asked.items() if sampled[category] < count}


def planned_categories(config: ScenarioConfig) -> list[str]:
    """The category each of ``config.num_scenarios`` scenarios is asked to be: the seeds' first, then the mix's."""
    seeds = [s["category"] for s in config.seeds[: config.num_scenarios]]
    return seeds + allocate_categories(config.category_mix, config.num_scenarios - len(seeds), config.seed)


def allocate_categories(mix: dict[str, float], total: int, seed: int) -> list[str]:
    if total <= 0:
        return []
    weights = {c: w for c, w in mix.items() if w > 0}
    norm = sum(weights.values())
    exact = {c: total * w / norm for c, w in weights.items()}
    counts = {c: int(v) for c, v in exact.items()}
    for category in sorted(exact, key=lambda c: exact[c] - counts[c], reverse=True)[: total - sum(counts.values())]:
        counts[category] += 1
    order = [c for c in CATEGORIES if c in counts for _ in range(counts[c])]
    random.Random(seed).shuffle(order)
    return order

"""The Gradio Space: explore trajectories of any iteration, and chat with a checkpoint whose tool calls
are executed by the MCP Server simulator.

``build_app()`` is what ``spaces/inftool-explorer/app.py`` and ``inftool-hf space`` serve. Everything a
visitor sends is bounded (:class:`SpaceLimits`); an uploaded spec is parsed as YAML/JSON data only, never
run, and a bad one gets a message in the page instead of a stack trace.
"""

import json
import logging
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inftool_hf.configs import (
    SYSTEM_PROMPT,  # the prompt the checkpoints were trained with
    BackendConfig,
    ConfigError,
    SamplingConfig,
)
from inftool_hf.sources.specs import SpecError, ToolSpec

logger = logging.getLogger(__name__)

ALL = "(all)"
UPLOAD_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class SpaceLimits:
    """Bounds on what one visitor can make the Space do (a free Space is 2 CPU cores)."""

    max_message_chars: int = 2000
    # model turns per user message (each may call tools, whose results go back to the model)
    max_tool_rounds: int = 4
    max_new_tokens: int = 192
    # messages kept in one chat; the oldest user turns are refused beyond this
    max_chat_messages: int = 40
    max_upload_bytes: int = 2_000_000
    max_uploaded_tools: int = 64
    # rows loaded from a dataset (all splits together)
    max_rows: int = 20_000


class SpaceError(ValueError):
    """A problem to show to the visitor as a message, not a traceback."""


# --- trajectory explorer --------------------------------------------------------------------------

def load_trajectory_rows(source: str, limits: SpaceLimits | None = None) -> list[dict[str, Any]]:
    """All rows (verified and rejected) of a dataset folder in Hub layout or a Hub id."""
    from inftool_hf.verify.trajectories import load_hub_folder, release_configs

    limits = limits or SpaceLimits()
    source = (source or "").strip()
    if not source:
        raise SpaceError("give a dataset: a local folder (outputs/<name>) or a Hub id (owner/name)")
    if not Path(source).exists() and "/" not in source:
        raise SpaceError(f"{source!r}: no such folder, and not a Hub id (owner/name)")
    try:
        # a released loop run: every iteration's config (and the dev set), each split named "<config>/<split>"
        configs = release_configs(source)
        splits = ({f"{config}/{name}": split for config in configs
                   for name, split in load_hub_folder(source, config=config).items()}
                  if configs else dict(load_hub_folder(source)))
    except Exception as error:  # datasets raises many types; the visitor needs the message only
        raise SpaceError(f"could not load {source!r}: {str(error).splitlines()[0][:300]}") from None
    rows: list[dict[str, Any]] = []
    for name, split in splits.items():
        missing = {"id", "messages", "category"} - set(split.column_names)
        if missing:
            raise SpaceError(f"{source!r} split {name!r} is not a trajectory dataset (missing {sorted(missing)})")
        for row in split.select(range(min(len(split), limits.max_rows - len(rows)))):
            row = dict(row)
            row["split"] = name
            rows.append(row)
    return rows


def _called_tools(row: dict[str, Any]) -> list[str]:
    return [c["function"]["name"] for m in row["messages"] if m["role"] == "assistant"
            for c in (m.get("tool_calls") or [])]


def row_summary(row: dict[str, Any]) -> dict[str, Any]:
    verification = row.get("verification") or {}
    passed = verification.get("passed", row.get("split") == "train")
    return {"id": row["id"], "iteration": row.get("iteration", 0), "status": "verified" if passed else "rejected",
            "category": row["category"], "domain": row.get("domain") or "", "tools": ", ".join(_called_tools(row)),
            "failed_gate": verification.get("failed_gate") or "", "messages": len(row["messages"])}


def filter_table(rows: list[dict[str, Any]], iteration: str = ALL, category: str = ALL, domain: str = ALL,
                 tool: str = ALL, status: str = ALL, gate: str = ALL):
    """The table of rows matching every filter (``(all)`` matches anything)."""
    import pandas as pd

    wanted = []
    for row in rows:
        summary = row_summary(row)
        if ((iteration in (ALL, None, "") or str(summary["iteration"]) == str(iteration))
                and (category in (ALL, None, "") or summary["category"] == category)
                and (domain in (ALL, None, "") or summary["domain"] == domain)
                and (tool in (ALL, None, "") or tool in _called_tools(row) or tool in _shown_tools(row))
                and (status in (ALL, None, "") or summary["status"] == status)
                and (gate in (ALL, None, "") or summary["failed_gate"] == gate)):
            wanted.append(summary)
    columns = ["id", "iteration", "status", "category", "domain", "tools", "failed_gate", "messages"]
    return pd.DataFrame(wanted, columns=columns)


def _shown_tools(row: dict[str, Any]) -> list[str]:
    try:
        return [t["function"]["name"] for t in json.loads(row.get("tools") or "[]")]
    except (ValueError, KeyError, TypeError):
        return []


def filter_choices(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    summaries = [row_summary(r) for r in rows]
    tools = sorted({t for r in rows for t in _shown_tools(r)})
    return {
        "iteration": [ALL, *sorted({str(s["iteration"]) for s in summaries}, key=int)],
        "category": [ALL, *sorted({s["category"] for s in summaries})],
        "domain": [ALL, *sorted({s["domain"] for s in summaries if s["domain"]})],
        "tool": [ALL, *tools],
        "status": [ALL, "verified", "rejected"],
        "gate": [ALL, *sorted({s["failed_gate"] for s in summaries if s["failed_gate"]})],
    }


def summary_frames(rows: list[dict[str, Any]]):
    """Per-category yield and per-gate failure counts, as data frames for bar charts."""
    import pandas as pd

    table = pd.DataFrame([row_summary(r) for r in rows])
    if table.empty:
        return (pd.DataFrame({"category": [], "yield": []}), pd.DataFrame({"gate": [], "rejected": []}))
    yields = (table.assign(ok=table["status"] == "verified").groupby("category")["ok"].mean()
              .rename("yield").reset_index())
    gates = table[table["failed_gate"] != ""].groupby("failed_gate").size().rename("rejected").reset_index()
    return yields, gates.rename(columns={"failed_gate": "gate"})


def _pretty(text: Any) -> str:
    try:
        value = json.loads(text) if isinstance(text, str) else text
        return json.dumps(value, indent=2, ensure_ascii=False)[:4000]
    except (ValueError, TypeError):
        return str(text)[:4000]


def chat_messages(messages: list[dict[str, Any]]) -> list[Any]:
    """Conversation rows → Chatbot messages; tool calls and results as collapsible blocks."""
    import gradio as gr

    out = []
    for message in messages:
        role = message.get("role")
        content = message.get("content") or ""
        if role == "user":
            out.append(gr.ChatMessage(role="user", content=content))
        elif role == "assistant":
            if content.strip():
                out.append(gr.ChatMessage(role="assistant", content=content))
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                out.append(gr.ChatMessage(role="assistant",
                                          content=f"```json\n{_pretty(function.get('arguments'))}\n```",
                                          metadata={"title": f"tool call: {function.get('name')}",
                                                    "status": "done"}))
        elif role == "tool":
            out.append(gr.ChatMessage(role="assistant", content=f"```json\n{_pretty(content)}\n```",
                                      metadata={"title": f"tool result: {message.get('name') or 'tool'}",
                                                "status": "done"}))
    return out


# --- chat with a checkpoint -------------------------------------------------------------------------

class BackendCache:
    """One loaded checkpoint at a time (a free Space has 16 GB), shared by all visitors."""

    def __init__(self, dtype: str = "auto"):
        self.key: tuple[str, str | None] | None = None
        self.backend: Any = None
        self.dtype = dtype
        self.lock = threading.Lock()

    def get(self, checkpoint: str, base_model: str = "default") -> Any:
        from inftool_hf.backends import make_backend

        checkpoint = (checkpoint or "default").strip()
        folder = Path(checkpoint)
        adapter = str(folder) if (folder / "adapter_config.json").is_file() else None
        model = (base_model or "default").strip() if adapter else checkpoint
        if not adapter and not folder.exists() and checkpoint != "default" and "/" not in checkpoint:
            raise SpaceError(f"checkpoint {checkpoint!r}: not 'default', a local folder or a Hub id")
        key = (model, adapter)
        with self.lock:
            if self.key != key:
                if self.backend is not None:
                    self.backend.close()
                    self.backend, self.key = None, None
                try:
                    self.backend = make_backend(BackendConfig(backend="transformers", model=model, dtype=self.dtype,
                                                              batch_size=1, system_prompt=SYSTEM_PROMPT),
                                                adapter=adapter)
                except (ConfigError, OSError, ValueError) as error:
                    raise SpaceError(f"could not load checkpoint {checkpoint!r}: {str(error)[:300]}") from None
                self.key = key
            return self.backend


def pack_domains() -> dict[str, list[ToolSpec]]:
    from inftool_hf.sources.specs import load_specs, spec_pack_dir

    domains: dict[str, list[ToolSpec]] = {}
    for tool in load_specs([spec_pack_dir()]).tools:
        domains.setdefault(tool.domain, []).append(tool)
    return domains


def load_uploaded_tools(path: str | None, limits: SpaceLimits | None = None) -> list[ToolSpec]:
    """Tools of an uploaded OpenAPI file or function list: data only, size-bounded, clear errors."""
    from inftool_hf.sources.specs import load_spec

    limits = limits or SpaceLimits()
    if not path:
        raise SpaceError("no file uploaded")
    file = Path(path)
    if file.suffix.lower() not in UPLOAD_SUFFIXES:
        raise SpaceError(f"{file.name}: upload a .yaml, .yml or .json spec (OpenAPI or a function list)")
    size = file.stat().st_size
    if size > limits.max_upload_bytes:
        raise SpaceError(f"{file.name} is {size:,} bytes; the limit is {limits.max_upload_bytes:,}")
    try:
        tools = load_spec(file).tools
    except (SpecError, ConfigError, ValueError, UnicodeDecodeError, RecursionError, OSError) as error:
        raise SpaceError(f"{file.name}: {str(error)[:400]}") from None
    if not tools:
        raise SpaceError(f"{file.name}: no usable operations or functions found")
    if len(tools) > limits.max_uploaded_tools:
        raise SpaceError(f"{file.name} has {len(tools)} tools; the limit is {limits.max_uploaded_tools}")
    return tools


def new_chat(tools: list[ToolSpec], checkpoint: str, label: str) -> dict[str, Any]:
    from inftool_hf.synth.simulator import ToolSimulator

    return {"id": f"chat-{uuid.uuid4().hex[:12]}", "tools": tools, "label": label, "checkpoint": checkpoint,
            "simulator": ToolSimulator({t.name: t for t in tools}), "messages": [], "parse_errors": []}


def chat_turn(session: dict[str, Any], text: str, backend: Any, limits: SpaceLimits | None = None) -> dict[str, Any]:
    """One user message: the model answers, its calls run in the simulator and the results go back, up to
    ``max_tool_rounds`` model turns."""
    limits = limits or SpaceLimits()
    text = (text or "").strip()
    if not text:
        raise SpaceError("type a message first")
    if len(text) > limits.max_message_chars:
        raise SpaceError(f"the message has {len(text)} characters; the limit is {limits.max_message_chars}")
    if len(session["messages"]) >= limits.max_chat_messages:
        raise SpaceError(f"this chat reached {limits.max_chat_messages} messages; start a new chat")
    openai_tools = [t.to_openai() for t in session["tools"]]
    messages = session["messages"]
    messages.append({"role": "user", "content": text, "tool_calls": None, "tool_call_id": None, "name": None})
    sampling = SamplingConfig(max_new_tokens=limits.max_new_tokens)
    for _ in range(limits.max_tool_rounds):
        [generation] = backend.generate([[{"role": "system", "content": SYSTEM_PROMPT}, *messages]],
                                        [openai_tools], sampling)
        calls = generation.message.get("tool_calls") or None
        messages.append({"role": "assistant", "content": generation.message.get("content") or "",
                         "tool_calls": calls, "tool_call_id": None, "name": None})
        session["parse_errors"].append(generation.parse_error)
        if not calls:
            break
        for call in calls:
            result = session["simulator"].execute(call["function"]["name"], call["function"]["arguments"])
            messages.append({"role": "tool", "content": json.dumps(result, ensure_ascii=False), "tool_calls": None,
                             "tool_call_id": call.get("id"), "name": call["function"]["name"]})
    return session


def export_row(session: dict[str, Any]) -> dict[str, Any]:
    """The chat as a trajectory row (the dataset format; category ``chat``, no blueprint to verify against)."""
    simulator = session["simulator"]
    return {
        "id": session["id"], "iteration": 0, "category": "chat", "domain": session["label"], "seed": 0,
        "tools": json.dumps([t.to_openai() for t in session["tools"]], ensure_ascii=False),
        "messages": [{"role": "system", "content": SYSTEM_PROMPT, "tool_calls": None, "tool_call_id": None,
                      "name": None}, *session["messages"]],
        "blueprint": json.dumps({"calls": [], "tools": [t.name for t in session["tools"]], "withheld": {},
                                 "missing_tool": None, "knows": {}, "unknown": []}),
        "generator": {"user": "human (space)", "assistant": session["checkpoint"], "server": "schema"},
        "episode": json.dumps({"mode": "chat", "parse_errors": session["parse_errors"],
                               "server_state": simulator.state.snapshot(), "scripted_turns": 0, "finished": True}),
    }


# --- the app -----------------------------------------------------------------------------------------

def build_app(dataset: str | None = None, checkpoint: str = "default", limits: SpaceLimits | None = None):
    """The Blocks app; ``dataset`` is loaded at start when given."""
    import gradio as gr

    limits = limits or SpaceLimits()
    cache = BackendCache()
    domains = pack_domains()
    initial_rows: list[dict[str, Any]] = []
    initial_status = "Load a dataset folder or Hub id."
    if dataset:
        try:
            initial_rows = load_trajectory_rows(dataset, limits)
            initial_status = f"Loaded {len(initial_rows)} rows from `{dataset}`."
        except SpaceError as error:
            initial_status = f"⚠️ {error}"

    def load(source: str):
        try:
            rows = load_trajectory_rows(source, limits)
        except SpaceError as error:
            return (gr.update(), gr.update(), f"⚠️ {error}", *[gr.update()] * 6, gr.update(), gr.update())
        choices = filter_choices(rows)
        yields, gates = summary_frames(rows)
        return (rows, filter_table(rows), f"Loaded {len(rows)} rows from `{source}`.",
                *[gr.update(choices=choices[k], value=ALL) for k in
                  ("iteration", "category", "domain", "tool", "status", "gate")], yields, gates)

    def select_row(rows: list[dict[str, Any]], table, event: gr.SelectData):
        row_index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        try:
            row_id = table.iloc[row_index]["id"]
        except (IndexError, KeyError, AttributeError):
            return [], None, None
        row = next((r for r in rows if r["id"] == row_id), None)
        if row is None:
            return [], None, None
        blueprint = json.loads(row.get("blueprint") or "{}")
        return chat_messages(row["messages"]), blueprint, row.get("verification") or {}

    def start_chat(source: str, domain: str, upload: str | None, checkpoint_text: str):
        try:
            if source == "uploaded spec":
                tools, label = load_uploaded_tools(upload, limits), Path(upload or "spec").name
            else:
                if domain not in domains:
                    raise SpaceError(f"unknown domain {domain!r}")
                tools, label = domains[domain], domain
        except SpaceError as error:
            return None, [], f"⚠️ {error}"
        session = new_chat(tools, checkpoint_text or "default", label)
        names = ", ".join(t.name for t in tools[:12]) + (" …" if len(tools) > 12 else "")
        return session, [], f"New chat with {len(tools)} tools ({names}) on `{checkpoint_text or 'default'}`."

    def send(text: str, session: dict[str, Any] | None, checkpoint_text: str, base_model: str):
        if session is None:  # no "New chat" yet: the domain shown in the dropdown
            first = "weather" if "weather" in domains else sorted(domains)[0]
            session = new_chat(domains[first], checkpoint_text or "default", first)
        try:
            backend = cache.get(checkpoint_text or "default", base_model)
            chat_turn(session, text, backend, limits)
        except SpaceError as error:
            return session, chat_messages(session["messages"]), f"⚠️ {error}", text
        except Exception:  # never a traceback in the page; the log keeps it for the maintainer
            logger.exception("chat turn failed")
            return session, chat_messages(session["messages"]), "⚠️ the model failed on this message; see logs", text
        return session, chat_messages(session["messages"]), "", ""

    def export(session: dict[str, Any] | None):
        if not session or not session["messages"]:
            return None, "⚠️ nothing to export yet"
        path = Path(tempfile.mkdtemp(prefix="inftool-space-")) / f"{session['id']}.jsonl"
        path.write_text(json.dumps(export_row(session), ensure_ascii=False) + "\n", encoding="utf-8")
        return str(path), f"Exported {len(session['messages'])} messages as one trajectory row."

    with gr.Blocks(title="inftool-hf: trajectories and chat") as app:
        gr.Markdown("# inftool-hf\nVerified tool-use trajectories from raw API specs, and the model trained on "
                    "them. Tool calls are executed by the MCP Server simulator (schema-valid simulated results).")
        rows_state = gr.State(initial_rows)
        with gr.Tab("Trajectory explorer"):
            with gr.Row():
                source = gr.Textbox(value=dataset or "", label="dataset (local folder or Hub id)", scale=4,
                                    elem_id="dataset-source")
                load_button = gr.Button("Load", scale=1, elem_id="load-dataset")
            status = gr.Markdown(initial_status, elem_id="explorer-status")
            choices = filter_choices(initial_rows)
            with gr.Row():
                filters = [gr.Dropdown(choices[key], value=ALL, label=label, allow_custom_value=False)
                           for key, label in (("iteration", "iteration"), ("category", "category"),
                                              ("domain", "domain"), ("tool", "tool"), ("status", "verified?"),
                                              ("gate", "failed gate"))]
            table = gr.Dataframe(filter_table(initial_rows), interactive=False, max_height=360, elem_id="rows")
            with gr.Row():
                conversation = gr.Chatbot(label="conversation", height=480, elem_id="conversation")
                with gr.Column():
                    blueprint = gr.JSON(label="blueprint (gold plan)")
                    verification = gr.JSON(label="verification record")
            yields, gates = summary_frames(initial_rows)
            with gr.Row():
                yield_plot = gr.BarPlot(yields, x="category", y="yield", title="yield per category", y_lim=[0, 1])
                gate_plot = gr.BarPlot(gates, x="gate", y="rejected", title="rejections per failed gate",
                                       y_lim=[0, None])
            load_button.click(load, source, [rows_state, table, status, *filters, yield_plot, gate_plot],
                              api_name="load_dataset")
            for dropdown in filters:
                dropdown.change(filter_table, [rows_state, *filters], table, api_name=False)
            table.select(select_row, [rows_state, table], [conversation, blueprint, verification], api_name=False)

        with gr.Tab("Chat with a checkpoint"):
            session_state = gr.State(None)
            with gr.Row():
                checkpoint_box = gr.Textbox(checkpoint, label="checkpoint: 'default', a merged or adapter folder, "
                                                              "or a Hub id", scale=3, elem_id="checkpoint")
                base_box = gr.Textbox("default", label="base model (for an adapter)", scale=2)
            with gr.Row():
                tool_source = gr.Radio(["spec pack domain", "uploaded spec"], value="spec pack domain",
                                       label="tools from")
                first_domain = "weather" if "weather" in domains else sorted(domains)[0]
                domain_box = gr.Dropdown(sorted(domains), value=first_domain, label="domain",
                                         elem_id="domain")
                upload = gr.File(label=f"spec (.yaml/.json, ≤ {limits.max_upload_bytes // 1000} kB)",
                                 file_types=list(UPLOAD_SUFFIXES), type="filepath")
                new_button = gr.Button("New chat", elem_id="new-chat")
            chat_status = gr.Markdown("", elem_id="chat-status")
            chatbot = gr.Chatbot(label="chat", height=420, elem_id="chat")
            with gr.Row():
                message = gr.Textbox(label="message", placeholder="What's the weather in Paris tomorrow?",
                                     max_length=limits.max_message_chars, scale=5, elem_id="message")
                send_button = gr.Button("Send", variant="primary", scale=1, elem_id="send")
            with gr.Row():
                export_button = gr.Button("Export as trajectory row", elem_id="export")
                export_file = gr.File(label="trajectory row (.jsonl)")
            new_button.click(start_chat, [tool_source, domain_box, upload, checkpoint_box],
                             [session_state, chatbot, chat_status], api_name="new_chat")
            send_inputs = [message, session_state, checkpoint_box, base_box]
            send_outputs = [session_state, chatbot, chat_status, message]
            send_button.click(send, send_inputs, send_outputs, api_name="send")
            message.submit(send, send_inputs, send_outputs, api_name=False)
            export_button.click(export, session_state, [export_file, chat_status], api_name="export")
    app.queue(default_concurrency_limit=1, max_size=16)
    return app

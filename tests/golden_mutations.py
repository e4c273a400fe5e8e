"""Mutations of the golden rows, each aimed at one gate: the verdicts of the gates on them guard the rejected path."""
import copy
import json


def mutated_rows(rows: list[dict]) -> list[dict]:
    out = []
    for base in rows:
        def variant(tag, change, base=base):
            row = copy.deepcopy(base)
            row["id"] = f"{row['id']}-{tag}"
            change(row)
            out.append(row)

        def calls(row):
            return [c for m in row["messages"] if m["role"] == "assistant" for c in (m.get("tool_calls") or [])]

        def parse_error(row):
            episode = json.loads(row["episode"] or "{}")
            episode["parse_errors"] = [None, "unterminated tool call"]
            row["episode"] = json.dumps(episode)

        def bad_json(row):
            found = calls(row)
            if found:
                found[-1]["function"]["arguments"] = "{not json"

        def unknown_tool(row):
            found = calls(row)
            if found:
                found[0]["function"]["name"] = "no_such_tool"

        def bad_type(row):
            found = calls(row)
            if found:
                args = json.loads(found[0]["function"]["arguments"])
                if args:
                    args[sorted(args)[0]] = {"nested": [1, 2]}
                found[0]["function"]["arguments"] = json.dumps(args)

        def wrong_value(row):
            found = calls(row)
            if found:
                args = json.loads(found[0]["function"]["arguments"])
                for key in sorted(args):
                    if isinstance(args[key], str):
                        args[key] = args[key] + " zz"
                        break
                found[0]["function"]["arguments"] = json.dumps(args)

        def as_irrelevance(row):
            row["category"] = "irrelevance"

        def tool_error(row):
            for m in row["messages"]:
                if m["role"] == "tool":
                    m["content"] = '{"error": "not found"}'
                    break

        def unfinished(row):
            row["messages"] = row["messages"][:-1]

        def invented_number(row):
            last = row["messages"][-1]
            if last["role"] == "assistant" and not last.get("tool_calls"):
                last["content"] = (last.get("content") or "") + " It costs 98765 dollars."

        def free_mode(row):
            episode = json.loads(row["episode"] or "{}")
            episode["mode"] = "free"
            row["episode"] = json.dumps(episode)
            bad = calls(row)
            if bad:
                bad[0]["function"]["arguments"] = bad[0]["function"]["arguments"].replace('"', '"', 1)

        for tag, change in [("parse", parse_error), ("json", bad_json), ("tool", unknown_tool), ("type", bad_type),
                            ("value", wrong_value), ("irrelevance", as_irrelevance), ("error", tool_error),
                            ("unfinished", unfinished), ("number", invented_number), ("free", free_mode)]:
            variant(tag, change)
    return out

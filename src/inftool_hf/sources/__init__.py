"""Where tools come from: spec files, installed API descriptions, Python modules, live MCP servers; compaction to a
token budget and the domain taxonomy."""

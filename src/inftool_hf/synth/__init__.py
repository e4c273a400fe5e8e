"""Synthesis: the tool pool, scenarios with their gold plan, values, realized sentences, the MCP Server simulator and
the three-agent role-play."""

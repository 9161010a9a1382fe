"""MCP (Model Context Protocol) client: the tools of any configured MCP server become oculi tools."""

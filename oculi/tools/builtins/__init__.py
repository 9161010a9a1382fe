"""Built-in tools, one module each. Those needing another subsystem take it as a Protocol."""

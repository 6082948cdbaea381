"""Channel adapters: protocol in, protocol out; the core knows no messenger."""

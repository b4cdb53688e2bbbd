"""One controller per resource; handlers are thin and call the flow rooms."""

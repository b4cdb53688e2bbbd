"""One repository per aggregate; each takes and returns Structs, and holds the only SQL of its tables."""

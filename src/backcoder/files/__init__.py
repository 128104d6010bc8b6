"""Reading and writing files: safe YAML and JSON with line numbers, the rule bundle and its
built form, JSON Lines batches and the JSON writer of results."""

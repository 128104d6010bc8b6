"""The engine: answers (with their provenance) in, the next question or a finished walk out.
Pure and picklable; it knows the rule language and the code conventions, nothing above."""

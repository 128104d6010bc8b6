"""The static proof of a rule file (`rules check`) and the facts derived from every path."""

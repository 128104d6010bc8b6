"""ICD-10-CM data and conventions: the tabular, code shapes, and the rules that hold over
any set of codes (valid, billable, 7th character, Excludes1). Knows nothing of the tree."""

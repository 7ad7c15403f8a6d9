"""Full-text search of the materials bank: the index worker, queries and the search page."""

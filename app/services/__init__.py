"""Use-case functions. Each owns its transaction: it validates, writes and commits."""

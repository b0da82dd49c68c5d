"""Bots: an Avellaneda-Stoikov market maker and a population of takers and noise traders, for
the demo (`clobnode start --demo`) and the load bench (`clobnode bench load`)."""

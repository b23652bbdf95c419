"""Recommend a short, reasoned set of sales content for a buyer's problems and buying stage."""

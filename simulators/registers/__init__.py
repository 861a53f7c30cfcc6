"""SSBTEK- and Navet-shaped registers over synthetic people (see README.md here)."""

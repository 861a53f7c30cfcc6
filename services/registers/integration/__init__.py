"""Clients of the national registers: the SSBTEK-shaped income look-up and the Navet-shaped population look-up."""

"""Tenants, bearer tokens, roles and tenant settings.

Owns who may do what. Imports the kernel and `treasury.db`; never the ledger, payments or
the shells.
"""

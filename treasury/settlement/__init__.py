"""Settlement routing: which rail, when sent, which value date, what fee; ISO 20022 in and out.

Imports the kernel, `treasury.accounts.model` and `treasury.refdata`; never payments or the shells.
"""

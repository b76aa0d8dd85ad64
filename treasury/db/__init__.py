"""Database plumbing: the declarative base, column types, engines and the unit of work.

Imports only the kernel. Nothing here knows a business table.
"""

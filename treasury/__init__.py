"""Cross-border treasury service: the money kernel, ledger, master data, transfers, and the shells.

Kernel (`money`, `errors`, `clock`, `settings`, `identifiers`) imports nothing of ours. Below the
shells (`api`, `cli`, `scheduler`) dependencies point down: payments → compliance → accounts/ledger
→ db → kernel. Only `treasury.api` imports FastAPI; only `treasury.scheduler` APScheduler.
"""

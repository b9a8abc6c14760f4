"""The use cases every edge calls: the HTTP routes (api/routes), the web pages (api/web)
and the CLI. Edges do input and output only; a use case lives here once.

- recording: record one entry of any kind in the write catalogue (api/catalogue.py).
- children: the children a user may see, registering a child.
- dashboard: a setting's cohort dashboard (an inspector's: shared children only).
- exports: a child's signed evidence bundle, recorded on the child.
- la_request: an LA's pre-filled request for a child, logged as a read.
"""

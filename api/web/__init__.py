"""The web interface: server-rendered pages over the same services as the HTTP API.

`api.web.site.install(app)` adds the pages and the stylesheet to an app; this package's
own import pulls in nothing, so `api.errors` can use its error pages without a cycle.
"""

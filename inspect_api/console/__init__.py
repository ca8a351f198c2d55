"""The web console: a second edge beside the API, for reviewers (and, later, leaders and
administrators). Server-rendered Jinja2 pages over the same services and scope checks as
the API; a signed session cookie instead of a bearer token; no JavaScript at all, so the
Content-Security-Policy can forbid every inline script and style."""

"""Documents a leader signs, rendered from Jinja2 HTML templates to PDF with WeasyPrint.

A service layer: it takes models and plain values, never a request, so the same templates
can serve a console's print view or a command."""
